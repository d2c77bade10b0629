/**
 * What contrib/ gives an operator: the systemd unit runs the built CLI's `serve --poll` with node itself, and
 * its example settings pass the configuration's own checks (as the service's start would check them).
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { readConfig } from "../src/entry/config";
import { ROOT } from "./support/cli";

const contrib = (name: string) => readFileSync(join(ROOT, "contrib", name), "utf8");

describe("the systemd unit", () => {
  const unit = contrib("feedwerk.service");
  const setting = (key: string) => [...unit.matchAll(new RegExp(`^${key}=(.*)$`, "gm"))].map((m) => m[1]);

  it("runs the built program with node alone, serving and polling, stopped by SIGTERM", () => {
    expect(setting("ExecStart")).toEqual(["/usr/bin/node /opt/feedwerk/dist/cli.js serve --poll"]);
    expect(setting("KillSignal")).toEqual(["SIGTERM"]);
    expect(setting("EnvironmentFile")).toEqual(["/etc/feedwerk/feedwerk.env"]);
    // the state folder is the example's FEEDWERK_DATA's parent, the one place a strict read-only system lets it write
    expect(setting("StateDirectory")).toEqual(["feedwerk"]);
    expect(setting("ProtectSystem")).toEqual(["strict"]);
    expect(setting("NoNewPrivileges")).toEqual(["yes"]);
  });

  it("comes with example settings that the configuration accepts", () => {
    const env = Object.fromEntries(
      contrib("feedwerk.env.example")
        .split("\n")
        .filter((line) => /^[A-Z_]+=/.test(line))
        .map((line) => [line.slice(0, line.indexOf("=")), line.slice(line.indexOf("=") + 1)]),
    );
    expect(Object.keys(env).length).toBeGreaterThan(5);
    const config = readConfig(env);
    expect(config.dataDir).toBe("/var/lib/feedwerk/data");
    expect(config.host).toBe("127.0.0.1");
    expect(config.publicUrl).toBe("https://feeds.example.org");
  });
});
