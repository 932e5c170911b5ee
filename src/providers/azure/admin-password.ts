// Azure's rules for osProfile.adminPassword (VM API, OSProfile): 8–123
// characters on Windows, 6–72 on Linux, at least 3 of: lower case, upper
// case, digit, special character; some common passwords refused. Checked on
// the resolved secret when the provider is built, so a password Azure would
// refuse is a configuration error before any VM call. The message never
// contains the password.
import { PoolformError } from '../../util/errors.ts';

const DISALLOWED = new Set(['abc@123', 'P@$$w0rd', 'P@ssw0rd', 'P@ssword123', 'Pa$$word', 'pass@word1', 'Password!', 'Password1', 'Password22', 'iloveyou!']);

/** Why Azure would refuse this password, or undefined when it is acceptable. */
export function adminPasswordProblem(password: string, osType: 'linux' | 'windows'): string | undefined {
  const [min, max] = osType === 'windows' ? [8, 123] : [6, 72];
  if (password.length < min || password.length > max) return `must be ${min}–${max} characters for ${osType} (it has ${password.length})`;
  const classes = [/[a-z]/, /[A-Z]/, /[0-9]/, /[\W_]/].filter((re) => re.test(password)).length;
  if (classes < 3) return 'needs at least 3 of: lower case, upper case, digit, special character';
  if (DISALLOWED.has(password)) return 'is one of the passwords Azure refuses';
  return undefined;
}

export function assertAdminPassword(providerName: string, password: string, osType: 'linux' | 'windows'): void {
  const problem = adminPasswordProblem(password, osType);
  if (problem) throw new PoolformError('provider-config', `VmProvider ${providerName}: admin_password ${problem}`);
}
