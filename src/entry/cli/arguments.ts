/** Option values read as the commands need them: a refused one is commander's error, naming the option. */
import { InvalidArgumentError, Option } from "commander";
import { parseInstant } from "../../normalise/instant";

export function instant(value: string): Date {
  const date = parseInstant(value);
  if (!date) throw new InvalidArgumentError("expected an ISO 8601 time with a zone, like 2025-12-09T13:00:00Z");
  return date;
}

function port(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new InvalidArgumentError("expected a port number");
  return n;
}

/** A number of days, as FEEDWERK_RETAIN_DAYS takes it. */
export function days(value: string): number {
  if (!/^\d{1,5}$/.test(value) || Number(value) < 1 || Number(value) > 36500) throw new InvalidArgumentError("expected a number of days from 1 to 36500");
  return Number(value);
}

export const portOption = () => new Option("--port <n>", "port to listen on (default: $PORT, else 8787)").argParser(port);
export const hostOption = () => new Option("--host <address>", "address to listen on: 0.0.0.0 or :: for every interface (default: $HOST, else 127.0.0.1)");
