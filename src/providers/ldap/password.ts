// One-time join passwords for AD computer records, and their wire encoding.
//
// generateJoinPassword() meets AD's default complexity policy with a wide
// margin: 32 characters (the default policy wants 7+; fine-grained policies
// rarely ask for more than 20), every class present (upper, lower, digit,
// symbol), drawn with node:crypto. The symbol set avoids characters that need
// quoting in the places the password is pasted: PowerShell and POSIX shell
// strings (no quotes, `$`, backtick, backslash), cmd.exe (no `%`, `^`, `&`,
// `|`, `<`, `>`), and poolform's own templates (no braces).
import { randomInt } from 'node:crypto';

const UPPER = 'ABCDEFGHJKLMNPQRSTUVWXYZ';
const LOWER = 'abcdefghijkmnopqrstuvwxyz';
const DIGITS = '23456789';
const SYMBOLS = '-_.+=@:#';
export const JOIN_PASSWORD_ALPHABET = { upper: UPPER, lower: LOWER, digits: DIGITS, symbols: SYMBOLS } as const;

export const JOIN_PASSWORD_LENGTH = 32;

/** Uniform integer in [0, max). Injectable for tests; defaults to crypto.randomInt. */
export type RandomIntFn = (max: number) => number;

export function generateJoinPassword(length: number = JOIN_PASSWORD_LENGTH, random: RandomIntFn = (max) => randomInt(max)): string {
  if (!Number.isInteger(length) || length < 8 || length > 256) throw new RangeError('join password length must be an integer from 8 to 256');
  const all = UPPER + LOWER + DIGITS + SYMBOLS;
  const pick = (set: string): string => set.charAt(random(set.length));
  const chars = [pick(UPPER), pick(LOWER), pick(DIGITS), pick(SYMBOLS)];
  while (chars.length < length) chars.push(pick(all));
  // Fisher–Yates so the guaranteed classes are not always in front.
  for (let i = chars.length - 1; i > 0; i--) {
    const j = random(i + 1);
    const t = chars[i] ?? '';
    chars[i] = chars[j] ?? '';
    chars[j] = t;
  }
  return chars.join('');
}

/** AD's default complexity rule: at least 3 of the 4 classes and 7+ characters. */
export function meetsAdComplexity(password: string): boolean {
  if (password.length < 7) return false;
  const classes = [/[A-Z]/, /[a-z]/, /[0-9]/, /[^A-Za-z0-9]/].filter((re) => re.test(password)).length;
  return classes >= 3;
}

/** unicodePwd's value: the password in double quotes, UTF-16LE (AD's required encoding). */
export function encodeUnicodePwd(password: string): Buffer {
  return Buffer.from(`"${password}"`, 'utf16le');
}
