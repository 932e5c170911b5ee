import { describe, expect, it } from 'vitest';
import { codes, LOCAL_PROVIDER, loadStrings, only, serverPool } from '../../../test/fixtures/config/load-strings.ts';

const withSchedules = (...entries: string[]) =>
  loadStrings({ 'a.yaml': `${LOCAL_PROVIDER}---\n${serverPool(`schedules:\n${entries.map((e) => `  - ${e}`).join('\n')}`)}` });
const ny = 'timezone: America/New_York';

describe('schedule rules', () => {
  it('accepts the reference examples (business hours, Wed→Fri chain with 24:00, overnight, split day)', async () => {
    const r = await withSchedules(
      `{ days: [mon, tue, wed, thu, fri], start: "07:00", end: "18:00", ${ny} }`,
      `{ days: [wed], start: "15:00", end: "24:00", ${ny} }`,
      `{ days: [thu], start: "00:00", end: "24:00", ${ny} }`,
      `{ days: [fri], start: "00:00", end: "11:00", ${ny} }`,
      `{ days: [tue, thu], start: "21:00", end: "05:00", ${ny} }`,
      `{ days: [mon, wed, fri], start: "08:00", end: "12:00", ${ny} }`,
      `{ days: [mon, wed, fri], start: "14:00", end: "18:00", ${ny} }`,
    );
    expect(codes(r)).toEqual([]);
  });

  it('schedule-timezone: rejects a zone that is not IANA', async () => {
    const r = await withSchedules('{ days: [mon], start: "07:00", end: "18:00", timezone: Mars/Olympus }');
    expect(only(r, 'schedule-timezone')).toMatchObject([{ path: '/autoscale/0/schedules/0/timezone', line: 15, column: 64 }]);
  });

  it('schedule-empty-window: rejects start = end (also 00:00 → 24:00 is fine)', async () => {
    expect(codes(await withSchedules(`{ days: [mon], start: "09:00", end: "09:00", ${ny} }`))).toEqual(['schedule-empty-window']);
    expect(codes(await withSchedules(`{ days: [mon], start: "00:00", end: "24:00", ${ny} }`))).toEqual([]);
  });

  it('schedule-no-days: rejects an empty day list', async () => {
    expect(codes(await withSchedules(`{ days: [], start: "09:00", end: "10:00", ${ny} }`))).toEqual(['schedule-no-days']);
  });

  it("schedule-time: HH:MM is enforced (schema and rule), under the rule's code whichever layer finds it", async () => {
    const r = await withSchedules(`{ days: [mon], start: "9:00", end: "25:00", ${ny} }`);
    expect(r.diagnostics.map((d) => [d.code, d.path, d.line, d.column, d.message])).toEqual([
      ['schedule-time', '/autoscale/0/schedules/0/start', 15, 31, 'start "9:00" is not HH:MM (00:00-23:59)'],
      ['schedule-time', '/autoscale/0/schedules/0/end', 15, 44, 'end "25:00" is not HH:MM (00:00-24:00)'],
    ]);
    expect(r.config).toBeUndefined();
    expect(codes(await withSchedules(`{ days: [mon], start: "24:00", end: "18:00", ${ny} }`))).toEqual(['schedule-time']);
    expect(codes(await withSchedules(`{ days: [mon], start: "07:60", end: "18:00", ${ny} }`))).toEqual(['schedule-time']);
    expect(codes(await withSchedules('{ days: [mon], start: "07:00", end: "18:00", timezone: "" }'))).toEqual(['schedule-timezone']);
  });

  it('schedule-timezone: fixed offsets are not IANA zones (they have no DST rules)', async () => {
    for (const zone of ['"+05:00"', '"-0300"', 'UTC+5']) {
      expect(codes(await withSchedules(`{ days: [mon], start: "07:00", end: "18:00", timezone: ${zone} }`))).toEqual(['schedule-timezone']);
    }
    for (const zone of ['UTC', 'Etc/GMT+5', 'Australia/Lord_Howe', 'EST5EDT']) {
      expect(codes(await withSchedules(`{ days: [mon], start: "07:00", end: "18:00", timezone: ${zone} }`))).toEqual([]);
    }
  });

  it('schedule-gap: upstream 23:59 → 00:00 chains are continuous, not warned about', async () => {
    const r = await withSchedules(
      `{ days: [wed], start: "15:00", end: "23:59", ${ny} }`,
      `{ days: [thu], start: "00:00", end: "23:59", ${ny} }`,
      `{ days: [fri], start: "00:00", end: "11:00", ${ny} }`,
    );
    expect(only(r, 'schedule-gap')).toEqual([]);
    expect(r.config).toBeDefined();
  });

  it('schedule-gap: still warns where a one-minute hole is real (not at midnight)', async () => {
    const r = await withSchedules(`{ days: [mon], start: "08:00", end: "11:59", ${ny} }`, `{ days: [mon], start: "12:00", end: "18:00", ${ny} }`);
    const gaps = only(r, 'schedule-gap');
    expect(gaps.map((d) => [d.severity, d.path])).toEqual([['warning', '/autoscale/0/schedules/0/end']]);
    expect(gaps[0]?.message).toContain('the minute 11:59-12:00 on Monday is inactive; use end: "12:00"');
  });

  it('schedule-gap: no warning for schedules in different zones or with real gaps', async () => {
    expect(
      codes(
        await withSchedules(`{ days: [wed], start: "15:00", end: "23:59", ${ny} }`, '{ days: [thu], start: "00:00", end: "10:00", timezone: Europe/Paris }'),
      ),
    ).toEqual([]);
    expect(codes(await withSchedules(`{ days: [mon], start: "08:00", end: "12:00", ${ny} }`, `{ days: [mon], start: "14:00", end: "18:00", ${ny} }`))).toEqual(
      [],
    );
  });

  it('schedule-gap: one schedule repeating on consecutive days 00:00–23:59 is continuous too', async () => {
    const r = await withSchedules(`{ days: [mon, tue], start: "00:00", end: "23:59", ${ny} }`);
    expect(only(r, 'schedule-gap')).toEqual([]);
  });
});
