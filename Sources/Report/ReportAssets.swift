/// The page's inline style and script: no external asset, no network.
enum ReportAssets {
    static let css = """
    :root{--bad:#c62828;--bad-bg:#fdecea;--ok:#2e7d32;--warn:#b26a00;--warn-bg:#fff4e0;--muted:#757575;--line:#e0e0e0;--client:#1565c0;--server:#6a1b9a}
    *{box-sizing:border-box}
    body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;margin:0;color:#212121;background:#fafafa}
    header{background:#263238;color:#eceff1;padding:16px 24px}
    header h1{margin:0 0 8px;font-size:20px}
    header table{border-collapse:collapse;margin:8px 0}
    header td,header th{padding:3px 10px 3px 0;text-align:left;vertical-align:top}
    header code{color:#fff}
    main{padding:8px 24px 48px;max-width:1400px}
    h2{font-size:17px;margin:24px 0 8px}
    h2 small{font-weight:normal;color:var(--muted);font-size:13px;margin-left:8px}
    h3{font-size:15px;margin:16px 0 6px}
    code,pre{font:12.5px/1.4 ui-monospace,"DejaVu Sans Mono",Menlo,monospace}
    pre{margin:4px 0;white-space:pre-wrap;word-break:break-all;background:#f5f5f5;padding:6px 8px;border-radius:4px;max-height:420px;overflow:auto}
    table{border-collapse:collapse}
    .list table,.auth{width:100%;background:#fff}
    .list td,.list th,.auth td,.auth th{border-bottom:1px solid var(--line);padding:5px 8px;text-align:left;vertical-align:top}
    .badge{display:inline-block;padding:1px 7px;border-radius:10px;font-size:12px;font-weight:600;color:#fff;background:var(--muted);margin:1px 0}
    .badge.ok{background:var(--ok)}.badge.bad{background:var(--bad)}.badge.warn{background:var(--warn)}.badge.muted{background:#9e9e9e}
    .verdict{font-size:15px;margin:8px 0}
    .filters button{margin-left:6px;border:1px solid #90a4ae;background:transparent;color:inherit;border-radius:4px;padding:2px 8px;cursor:pointer}
    .filters button.on{background:#eceff1;color:#263238}
    body.only-failed .session-row:not(.failed),body.only-problem .session-row:not(.problem){display:none}
    .session{background:#fff;border:1px solid var(--line);border-radius:6px;padding:4px 16px 12px;margin:16px 0}
    .session.failed{border-left:5px solid var(--bad)}
    .axis{margin:8px 0 12px;padding:6px 8px;background:#f5f7f8;border-radius:4px}
    .axis-lane{display:flex;align-items:center;height:20px}
    .axis-name{width:56px;font-size:12px;color:var(--muted)}
    .axis-track{position:relative;flex:1;height:2px;background:#cfd8dc}
    .mark{position:absolute;top:-5px;width:12px;height:12px;margin-left:-6px;border-radius:50%;background:var(--client);border:2px solid #fff}
    .axis-lane:nth-child(2) .mark{background:var(--server)}
    .mark.error,.axis-lane:nth-child(2) .mark.error{background:var(--bad)}
    .axis-ticks{display:flex;justify-content:space-between;margin-left:56px;font-size:11px;color:var(--muted)}
    .timeline{border-top:1px solid var(--line)}
    .row{display:grid;grid-template-columns:90px 1fr 1fr;gap:8px;border-bottom:1px solid #f0f0f0;padding:3px 0}
    .row.head{font-weight:600;color:var(--muted);font-size:12px}
    .row.head .client{color:var(--client)}.row.head .server{color:var(--server)}
    .row .t{font:12px ui-monospace,monospace;color:var(--muted);padding-top:3px;text-align:right}
    .lane.both{grid-column:2/4}
    .card{padding:2px 6px;border-radius:4px;word-break:break-word}
    .lane.client .card{border-left:3px solid var(--client)}
    .lane.server .card{border-left:3px solid var(--server)}
    .row.error .card{background:var(--bad-bg);border-left-color:var(--bad);color:#8e0000}
    .row.differs .card{outline:2px dashed var(--bad)}
    .row:target .card{box-shadow:0 0 0 3px #ffd54f}
    summary{cursor:pointer}
    details.body>summary{color:var(--muted);font-size:12px;margin:4px 0}
    .cred{color:#00695c;font-size:12.5px}
    .anomaly{color:var(--warn);font-weight:600}
    .diff{margin:2px 0 8px 98px;padding:6px 10px;background:var(--warn-bg);border-left:4px solid var(--bad);border-radius:4px}
    .diff table td{padding:2px 10px 2px 0;vertical-align:top}
    .diff .expected code{color:var(--ok)}.diff .got code{color:var(--bad);font-weight:600}
    .notes{color:var(--muted);margin:4px 0}
    .claims{max-height:180px;white-space:pre;word-break:normal;min-width:240px}
    .cut{color:var(--warn);font-size:12px;margin:0}
    """

    /// The filter buttons: all sessions, those with errors/anomalies/failures, failed replays.
    static let js = """
    document.documentElement.classList.add('js');
    document.querySelectorAll('.filters button').forEach(function (b) {
      b.addEventListener('click', function () {
        document.querySelectorAll('.filters button').forEach(function (o) { o.classList.toggle('on', o === b); });
        document.body.classList.remove('only-failed', 'only-problem');
        if (b.dataset.filter !== 'all') { document.body.classList.add('only-' + b.dataset.filter); }
      });
    });
    """
}
