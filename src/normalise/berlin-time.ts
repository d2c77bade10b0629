/**
 * The portal prints wall-clock time in Europe/Berlin. Converting needs the
 * zone's offset at that instant (CET +01:00 or CEST +02:00), which the
 * platform's time-zone database knows; Intl is available in Node and in
 * Workers alike.
 */
const berlin = new Intl.DateTimeFormat("en-GB", {
  timeZone: "Europe/Berlin",
  hourCycle: "h23",
  year: "numeric",
  month: "2-digit",
  day: "2-digit",
  hour: "2-digit",
  minute: "2-digit",
});

function wallClock(instant: number): string {
  const parts = Object.fromEntries(berlin.formatToParts(new Date(instant)).map((p) => [p.type, p.value]));
  return `${parts.year}-${parts.month}-${parts.day} ${parts.hour}:${parts.minute}`;
}

export interface WallTime {
  year: number;
  month: number; // 1-12
  day: number;
  hour: number;
  minute: number;
}

/**
 * UTC instant for a Berlin wall-clock time. In the autumn hour that occurs
 * twice the earlier instant (still CEST) is taken; a time inside the spring
 * gap, which no clock showed, is read as CET.
 */
export function berlinToUtc(t: WallTime): Date {
  const asUtc = Date.UTC(t.year, t.month - 1, t.day, t.hour, t.minute);
  const wanted = `${t.year}-${pad(t.month)}-${pad(t.day)} ${pad(t.hour)}:${pad(t.minute)}`;
  for (const offsetHours of [2, 1]) {
    const candidate = asUtc - offsetHours * 3_600_000;
    if (wallClock(candidate) === wanted) return new Date(candidate);
  }
  return new Date(asUtc - 3_600_000);
}

function pad(n: number): string {
  return String(n).padStart(2, "0");
}

/** The Berlin wall-clock time of an instant, as its clocks showed it. */
export function utcToBerlin(instant: Date): WallTime {
  const [date, time] = wallClock(instant.getTime()).split(" ") as [string, string];
  const [year, month, day] = date.split("-").map(Number) as [number, number, number];
  const [hour, minute] = time.split(":").map(Number) as [number, number];
  return { year, month, day, hour, minute };
}
