import { EC2Client, DescribeInstancesCommand } from '@aws-sdk/client-ec2';
import { startMoto, FAKE_CREDENTIALS } from '/work/main/test/support/moto.ts';
const moto = await startMoto();
const c = new EC2Client({ region: 'us-east-1', endpoint: moto.endpoint, credentials: { accessKeyId: FAKE_CREDENTIALS.accessKeyId + '\n', secretAccessKey: FAKE_CREDENTIALS.secretAccessKey + '\n' }, maxAttempts: 1 });
try { await c.send(new DescribeInstancesCommand({})); console.log('untrimmed OK'); } catch (e) { console.log('untrimmed fails:', (e as Error).name, (e as Error).message.slice(0,100)); }
await moto.stop();
