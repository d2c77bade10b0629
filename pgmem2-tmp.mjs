import v8 from "node:v8";
import { readFileSync } from "node:fs";
if (process.env.F) v8.setFlagsFromString(process.env.F);
const { PGlite } = await import("@electric-sql/pglite");
const { pg_trgm } = await import("@electric-sql/pglite/contrib/pg_trgm");
const db = await PGlite.create("/tmp/pgl2/pglite", { extensions: { pg_trgm }, startParams: [...PGlite.defaultStartParams, ...(process.env.P ? process.env.P.split(" ") : [])] });
const sb = await db.query("select name, setting, unit from pg_settings where name in ('shared_buffers','wal_buffers','max_connections','work_mem', 'temp_buffers', 'maintenance_work_mem')"); console.log(JSON.stringify(sb.rows));
for (let i = 0; i < 50; i++) await db.query("select * from items order by published_at desc limit 50");
await new Promise((r) => setTimeout(r, 500));
const smaps = readFileSync("/proc/self/smaps", "utf8").split("\n");
const regions = []; let cur = null;
for (const l of smaps) { const m = /^([0-9a-f]+)-([0-9a-f]+) \S+ \S+ \S+ \S+\s*(.*)$/.exec(l); if (m) { cur = { size: (parseInt(m[2],16)-parseInt(m[1],16))/1048576, name: m[3] || "anon", rss: 0 }; regions.push(cur); } const r = /^Rss:\s+(\d+)/.exec(l); if (r && cur) cur.rss = Number(r[1]) / 1024; }
regions.sort((a, b) => b.rss - a.rss);
for (const r of regions.slice(0, 8)) console.log(r.rss.toFixed(1), "MiB rss of", r.size.toFixed(0), "MiB", r.name);
console.log("total", regions.reduce((s, r) => s + r.rss, 0).toFixed(0), "heap", (process.memoryUsage().heapTotal/1048576).toFixed(0), "external", (process.memoryUsage().external/1048576).toFixed(0), "arrayBuffers", (process.memoryUsage().arrayBuffers/1048576).toFixed(0));
await db.close();
