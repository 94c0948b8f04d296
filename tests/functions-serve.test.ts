import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Simulator, startSimulator } from "../simulator/server.ts";
import { CRON_SECRET, REVOKE_SECRET, SLOT, trendCandles } from "./helpers/functions-stack.ts";

const REPO_ROOT = resolve(import.meta.dirname, "..");
const TSX = resolve(REPO_ROOT, "node_modules/.bin/tsx");
const BASE_ENV = { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "/tmp" };

describe("npm run serve", () => {
  let sim: Simulator;
  let home: string;
  let launcher: ChildProcess;
  let url = "";
  let blackboxPath = "";
  const output: string[] = [];

  beforeAll(async () => {
    const start = SLOT + 5_000;
    sim = await startSimulator({ candles: trendCandles(10), clock: start, clockMode: "running" });
    home = mkdtempSync(join(tmpdir(), "titan-serve-"));
    const envFile = join(home, "test.env");
    writeFileSync(
      envFile,
      [
        `TITAN_CRON_SECRET=${CRON_SECRET}`,
        `TITAN_REVOKE_SECRET=${REVOKE_SECRET}`,
        `KRAKEN_API_URL=${sim.url}`,
        `TITAN_HOME=${home}`,
        `TITAN_DEV_CLOCK_START=${new Date(start).toISOString()}`,
      ].join("\n"),
    );
    launcher = spawn(TSX, ["scripts/serve.ts", "--port", "0", "--env-file", envFile], {
      cwd: REPO_ROOT,
      env: BASE_ENV,
      stdio: ["ignore", "pipe", "pipe"],
    });
    url = await new Promise<string>((resolvePromise, reject) => {
      const collect = (chunk: Buffer) => {
        for (const line of String(chunk).split("\n").filter(Boolean)) {
          output.push(line);
          const found = /"url":"([^"]+)"/.exec(line)?.[1];
          if (found) resolvePromise(found);
        }
      };
      launcher.stdout?.on("data", collect);
      launcher.stderr?.on("data", collect);
      launcher.once(
        "exit",
        (code) => reject(new Error(`serve exited with ${code}:\n${output.join("\n")}`)),
      );
    });
  }, 120_000);

  afterAll(async () => {
    if (launcher && launcher.exitCode === null) {
      const exited = new Promise((resolvePromise) => launcher.once("exit", resolvePromise));
      launcher.kill("SIGTERM");
      await exited;
    }
    await sim?.close();
    if (home) rmSync(home, { recursive: true, force: true });
  });

  it("prints its help", () => {
    const result = spawnSync(TSX, ["scripts/serve.ts", "--help"], {
      cwd: REPO_ROOT,
      env: BASE_ENV,
      encoding: "utf8",
    });
    expect(result.status).toBe(0);
    expect(result.stdout).toMatch(/^Usage: npm run serve/);
    expect(result.stdout).toMatch(/--env-file FILE/);
  });

  it("listens on loopback and names its stores", () => {
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(output.join("\n")).toContain(
      `records: embedded database in ${home}/db; blackbox: files under ${home}/blackbox`,
    );
  });

  it("runs a cycle on the embedded database", async () => {
    const response = await fetch(`${url}/functions/v1/run-cycle`, {
      method: "POST",
      headers: { authorization: `Bearer ${CRON_SECRET}` },
    });
    const body = (await response.json()) as { results: Array<Record<string, unknown>> };
    expect(response.status).toBe(200);
    expect(body.results[0]?.outcome).toBe("completed");
    expect(existsSync(join(home, "db", "PG_VERSION"))).toBe(true);
    blackboxPath = String(body.results[0]?.blackbox_path);
    expect(existsSync(join(home, "blackbox", blackboxPath))).toBe(true);
  });

  it("ingests a blackbox file by path", async () => {
    const response = await fetch(`${url}/functions/v1/ingest-logs`, {
      method: "POST",
      headers: { authorization: `Bearer ${CRON_SECRET}`, "content-type": "application/json" },
      body: JSON.stringify({ path: blackboxPath }),
    });
    const body = (await response.json()) as Record<string, unknown>;
    expect(response.status).toBe(200);
    const text = readFileSync(join(home, "blackbox", blackboxPath), "utf8");
    expect(body.source).toBe(`sha256:${createHash("sha256").update(text).digest("hex")}`);
    expect(body.inserted).toBe(body.lines);
  });

  it("answers 404 outside the functions", async () => {
    const response = await fetch(`${url}/functions/v1/unknown`, { method: "POST" });
    expect(response.status).toBe(404);
  });
});
