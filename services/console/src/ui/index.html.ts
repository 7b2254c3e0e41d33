/** The one page of the web UI; the script renders every screen into #app (hash routes). */
export const INDEX_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Homeostat console</title>
<link rel="icon" href="data:,">
<link rel="modulepreload" href="/ui/main.js">
<style>
:root { --bg:#f6f7f9; --panel:#fff; --ink:#1d2330; --muted:#667085; --line:#e4e7ec; --ok:#12805c; --warn:#b54708; --bad:#c01048; --info:#175cd3; }
* { box-sizing: border-box; }
body { margin:0; font:14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; background:var(--bg); color:var(--ink); }
header { display:flex; align-items:center; gap:20px; padding:10px 20px; background:#101828; color:#fff; }
header .brand { font-weight:700; letter-spacing:.02em; }
header nav a { color:#d0d5dd; text-decoration:none; margin-right:14px; }
header nav a.active, header nav a:hover { color:#fff; }
header .who { margin-left:auto; display:flex; gap:10px; align-items:center; color:#d0d5dd; }
header .live { font-size:12px; padding:2px 8px; border-radius:10px; background:#344054; }
header .live.on { background:var(--ok); color:#fff; }
main { padding:18px 20px 40px; max-width:1280px; margin:0 auto; }
h1 { font-size:20px; margin:4px 0 14px; } h2 { font-size:16px; margin:22px 0 8px; } h3 { font-size:14px; margin:14px 0 6px; }
section.panel { background:var(--panel); border:1px solid var(--line); border-radius:8px; padding:12px 16px; margin-bottom:14px; }
table { border-collapse:collapse; width:100%; } th, td { text-align:left; padding:6px 8px; border-bottom:1px solid var(--line); vertical-align:top; }
th { font-weight:600; color:var(--muted); font-size:12px; text-transform:uppercase; letter-spacing:.03em; }
.muted { color:var(--muted); } .mono { font-family:ui-monospace, SFMono-Regular, Menlo, monospace; font-size:12px; }
.badge { display:inline-block; padding:1px 8px; border-radius:10px; font-size:12px; font-weight:600; background:#eef2f6; color:#344054; white-space:nowrap; }
.badge.ok { background:#d1fadf; color:var(--ok); } .badge.warn { background:#fef0c7; color:var(--warn); } .badge.bad { background:#fee4e2; color:var(--bad); } .badge.info { background:#d1e9ff; color:var(--info); }
.loops { display:grid; grid-template-columns:repeat(auto-fill, minmax(280px, 1fr)); gap:12px; }
.loop { background:var(--panel); border:1px solid var(--line); border-radius:8px; padding:12px 14px; }
.loop .name { font-weight:700; font-size:15px; } .loop .actions { margin-top:10px; display:flex; gap:8px; flex-wrap:wrap; }
button { font:inherit; border:1px solid #d0d5dd; background:#fff; border-radius:6px; padding:5px 12px; cursor:pointer; }
button.primary { background:var(--info); border-color:var(--info); color:#fff; } button.danger { background:var(--bad); border-color:var(--bad); color:#fff; }
button:disabled { opacity:.5; cursor:not-allowed; }
input[type=text], input[type=password], select { font:inherit; padding:5px 8px; border:1px solid #d0d5dd; border-radius:6px; }
.grid2 { display:grid; grid-template-columns:1fr 1fr; gap:14px; } @media (max-width: 900px) { .grid2 { grid-template-columns:1fr; } }
.step { border-left:3px solid var(--line); padding-left:12px; margin:10px 0 18px; } .step > .label { font-size:12px; text-transform:uppercase; color:var(--muted); letter-spacing:.04em; }
.chart { min-height:120px; } .charts { display:grid; grid-template-columns:repeat(auto-fill, minmax(340px, 1fr)); gap:12px; }
.notice { padding:8px 12px; border-radius:6px; background:#fef0c7; margin-bottom:12px; } .error { background:#fee4e2; }
dialog { border:1px solid var(--line); border-radius:8px; padding:18px; max-width:440px; } dialog::backdrop { background:rgba(16,24,40,.4); }
a { color:var(--info); }
</style>
</head>
<body>
<header><span class="brand">Homeostat</span><nav id="nav"></nav><span class="who" id="who"></span></header>
<main id="app"><p class="muted">Loading…</p></main>
<script type="module" src="/ui/main.js"></script>
</body>
</html>
`;
