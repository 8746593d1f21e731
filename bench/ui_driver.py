"""Drives `rdsql ui` in headless Chromium for bench/ui.sh and prints a
Markdown table. Figures are taken inside the page (performance.now()), so
WebDriver's own latency is not counted."""
import json, statistics, subprocess, sys, threading, time

from selenium import webdriver
from selenium.webdriver.chrome.service import Service

url, pgport, uipid, runs, pgbin, rdsql, work = sys.argv[1:8]
runs = int(runs)

opts = webdriver.ChromeOptions()
opts.binary_location = "/usr/bin/chromium"
for a in ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--window-size=1280,1000"]:
    opts.add_argument(a)
d = webdriver.Chrome(service=Service(executable_path="/usr/bin/chromedriver"), options=opts)
d.set_script_timeout(300)
d.get(url)
time.sleep(1)

# Connect through the page's own API and workspace code.
form = {"engine": "postgres", "host": "127.0.0.1", "port": pgport, "user": "postgres",
        "dbname": "postgres", "auth": "password", "password": "unused", "sslmode": "disable"}
d.execute_async_script("""
const done = arguments[arguments.length - 1];
fetch('/api/connect', {method: 'POST', headers: {'Content-Type': 'application/json'}, body: JSON.stringify({form: arguments[0]})})
  .then((r) => r.json()).then((data) => { window.Workspace.addConnection(data); setTimeout(done, 500); });
""", form)

GRID = """
const [sql, done] = [arguments[0], arguments[arguments.length - 1]];
const W = window.Workspace.WS;
W.view.dispatch({changes: {from: 0, to: W.view.state.doc.length, insert: sql}});
const old = document.querySelector('#results .grid');
const t0 = performance.now();
let first = null;
document.getElementById('run').click();
const tick = () => {
  const g = document.querySelector('#results .grid');
  if (first === null && g && g !== old && g.querySelector('.grow')) first = performance.now() - t0;
  const meta = document.getElementById('result-meta').textContent;
  if (first !== null && g !== old && meta.includes('100,000 rows loaded')) {
    const all = performance.now() - t0;
    document.getElementById('cancel').click();  // "Close result": the server cancels the rest
    setTimeout(() => done([first, all]), 300);
  } else requestAnimationFrame(tick);
};
requestAnimationFrame(tick);
"""
firsts, alls = [], []
for _ in range(runs):
    f, a = d.execute_async_script(GRID, "select * from bench")
    firsts.append(f)
    alls.append(a)
    time.sleep(0.5)

# psql: time to its first line of output (it reads the whole result first
# unless FETCH_COUNT is set).
def psql_first(extra):
    samples = []
    for _ in range(runs):
        t0 = time.perf_counter()
        p = subprocess.Popen([f"{pgbin}/psql", "-X", "-h", "127.0.0.1", "-p", pgport, "-U", "postgres", "-d", "postgres",
                              *extra, "-c", "select * from bench"], stdout=subprocess.PIPE, env={"PGSSLMODE": "disable", "PATH": "/usr/bin:/bin"})
        p.stdout.readline()
        samples.append((time.perf_counter() - t0) * 1000)
        p.kill(); p.wait()
    return statistics.median(samples)

psql_first_default = psql_first([])
psql_first_fetch = psql_first(["-v", "FETCH_COUNT=100"])

def rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])

# Export 1M rows as CSV through the UI (the page fetches the download and
# discards it), sampling the server's RSS meanwhile.
EXPORT = """
const done = arguments[arguments.length - 1];
const session = window.Workspace.WS.current.id;
fetch('/api/export', {method: 'POST', headers: {'Content-Type': 'application/json'},
  body: JSON.stringify({session, sql: 'select * from bench', format: 'csv'})})
  .then((r) => r.json()).then(async (x) => {
    const t0 = performance.now();
    const r = await fetch(x.url); const reader = r.body.getReader(); let n = 0;
    for (;;) { const {value, done: end} = await reader.read(); if (end) break; n += value.length; }
    done([n, performance.now() - t0]);
  });
"""
peaks, secs, sizes = [], [], []
base = rss_kib(uipid)
for _ in range(min(runs, 3)):
    peak = [0]
    stop = threading.Event()
    def sample():
        while not stop.is_set():
            peak[0] = max(peak[0], rss_kib(uipid)); time.sleep(0.01)
    t = threading.Thread(target=sample); t.start()
    n, ms = d.execute_async_script(EXPORT)
    stop.set(); t.join()
    peaks.append(peak[0] / 1024); secs.append(ms / 1000); sizes.append(n)

def time_v(cmd, env):
    out = subprocess.run(["/usr/bin/time", "-v", *cmd], capture_output=True, env=env)
    for line in out.stderr.decode().splitlines():
        if "Maximum resident set size" in line:
            return int(line.split(":")[1]) / 1024, len(out.stdout)

cli_rss, cli_size = time_v([rdsql, "query", f"postgres://postgres@127.0.0.1:{pgport}/postgres?sslmode=disable", "--format", "csv", "-c", "select * from bench"], {"PGPASSWORD": "unused", "PATH": "/usr/bin:/bin"})
psql_rss, _ = time_v([f"{pgbin}/psql", "-X", "-h", "127.0.0.1", "-p", pgport, "-U", "postgres", "-d", "postgres", "--csv", "-c", "select * from bench"], {"PGSSLMODE": "disable", "PATH": "/usr/bin:/bin"})
d.quit()

print("| figure | rdsql ui | peer (same run) |")
print("|---|---|---|")
print(f"| first row of `select * from bench` (1M rows) in the grid, ms | {statistics.median(firsts):.0f} | psql first output line: {psql_first_default:.0f} (default), {psql_first_fetch:.0f} (FETCH_COUNT=100) |")
print(f"| 100,000 rows loaded in the grid, ms | {statistics.median(alls):.0f} | — |")
print(f"| server RSS exporting 1M rows as CSV, MB (idle before: {base/1024:.1f}) | peak {max(peaks):.1f} | `psql --csv` peak {psql_rss:.1f}; `rdsql query --format csv` peak {cli_rss:.1f} |")
print(f"| export download, s / bytes | {statistics.median(secs):.2f} / {sizes[0]} | `rdsql query` output {cli_size} bytes |")
