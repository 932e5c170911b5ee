// One-time AD join passwords: random, and meeting AD's default complexity
// rules (at least three of: upper, lower, digit, symbol; long enough). Held
// in memory only, from the AD step to the VM step of the same apply.
import { randomInt } from 'node:crypto';

const UPPER = 'ABCDEFGHJKLMNPQRSTUVWXYZ';
const LOWER = 'abcdefghijkmnopqrstuvwxyz';
const DIGITS = '23456789';
// No quotes, braces, backslashes or `$`: the password is pasted into shell
// and PowerShell startup scripts between single quotes.
const SYMBOLS = '-_=+.,:;!#%*';
const ALL = UPPER + LOWER + DIGITS + SYMBOLS;

export type RandomInt = (max: number) => number;

/** A 24-character password with every character class present. */
export function generateJoinPassword(random: RandomInt = (max) => randomInt(max)): string {
  const pick = (set: string): string => set[random(set.length)] ?? 'x';
  const chars = [pick(UPPER), pick(LOWER), pick(DIGITS), pick(SYMBOLS)];
  while (chars.length < 24) chars.push(pick(ALL));
  // Fisher–Yates, so the classes are not always in front.
  for (let i = chars.length - 1; i > 0; i--) {
    const j = random(i + 1);
    const a = chars[i] ?? '';
    chars[i] = chars[j] ?? '';
    chars[j] = a;
  }
  return chars.join('');
}
