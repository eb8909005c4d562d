import { DateTime } from 'luxon';
import { inRanges } from '../shared/cidr.js';

/**
 * A login policy: where from, when, and how many failures a user (or every user of a role) is
 * allowed. The rules here are pure; src/auth/login-guard.ts applies them at login, at token
 * refresh, at WebSocket connection_init and on every request.
 */
export interface TimeWindow {
  /** ISO weekdays, 1 = Monday ... 7 = Sunday: the day the window opens. */
  days: number[];
  /** Local "HH:MM" in the user's org time zone; an end before the start runs past midnight. */
  start: string;
  end: string;
}

export interface LoginRules {
  /** CIDR ranges logins may come from; null: anywhere. */
  allowedCidrs: string[] | null;
  /** When logins (and sessions) are allowed; null: any time. */
  windows: TimeWindow[] | null;
  requireTotp: boolean;
  /** Consecutive failures on an account before it locks. */
  maxFailures: number;
  /** First lockout; each further failure doubles it, up to lockoutMaxSeconds. */
  lockoutSeconds: number;
  lockoutMaxSeconds: number;
}

const minutes = (hhmm: string) => Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3, 5));

/** Whether `now` falls in one of the windows, in the given time zone. */
export function inWindows(now: Date, timeZone: string, windows: TimeWindow[]): boolean {
  const local = DateTime.fromJSDate(now, { zone: timeZone });
  const m = local.hour * 60 + local.minute;
  const today = local.weekday;
  const yesterday = today === 1 ? 7 : today - 1;
  return windows.some((w) => {
    const start = minutes(w.start);
    const end = minutes(w.end);
    if (start < end) return w.days.includes(today) && m >= start && m < end;
    // Overnight (22:00-06:00): the evening belongs to today's window, the small hours to yesterday's.
    return (w.days.includes(today) && m >= start) || (w.days.includes(yesterday) && m < end);
  });
}

/** Lockout after `failures` consecutive failures: none below the limit, then doubling to the cap. */
export function lockoutSeconds(
  failures: number,
  rules: Pick<LoginRules, 'maxFailures' | 'lockoutSeconds' | 'lockoutMaxSeconds'>,
): number {
  if (failures < rules.maxFailures) return 0;
  const doublings = Math.min(failures - rules.maxFailures, 30);
  return Math.min(rules.lockoutSeconds * 2 ** doublings, rules.lockoutMaxSeconds);
}

/** Why a session may not be opened or go on from this address at this time; null when it may. */
export function refusal(rules: LoginRules, ip: string | undefined, now: Date, timeZone: string): string | null {
  if (rules.allowedCidrs && !inRanges(ip, rules.allowedCidrs)) return 'address';
  if (rules.windows && !inWindows(now, timeZone, rules.windows)) return 'time';
  return null;
}
