// How a time zone is shown to people (issue 12): by its abbreviation where one
// is in common use (CET, CEST, EST, BST, IST, AEDT, UTC), else by its IANA name
// (Asia/Tokyo); never as a bare offset such as "GMT+1", which says nothing
// about daylight saving and is easy to misread.
//
// ICU names zones per locale (en-US knows EST, en-GB knows CET, en-IN knows
// IST, en-AU knows AEST), so several English locales are asked in turn and the
// first real abbreviation wins. Deterministic: no clock, no I/O.

const LOCALES = ['en-US', 'en-GB', 'en-AU', 'en-IN', 'en-CA', 'en-NZ'];
const ABBREVIATION = /^[A-Z]{2,5}$/;

const formatters = new Map<string, Intl.DateTimeFormat[]>();

function formattersFor(zone: string): Intl.DateTimeFormat[] {
  let list = formatters.get(zone);
  if (!list) {
    list = LOCALES.map((locale) => new Intl.DateTimeFormat(locale, { timeZone: zone, timeZoneName: 'short' }));
    formatters.set(zone, list);
  }
  return list;
}

/** The zone's abbreviation at `ms` (CET in winter, CEST in summer), or its IANA name when it has none. */
export function zoneLabel(ms: number, zone: string): string {
  let list: Intl.DateTimeFormat[];
  try {
    list = formattersFor(zone);
  } catch {
    return zone;
  }
  const date = new Date(ms);
  for (const f of list) {
    const name = f.formatToParts(date).find((p) => p.type === 'timeZoneName')?.value ?? '';
    if (ABBREVIATION.test(name)) return name;
  }
  return zone;
}
