// MARK: - AdminStatusPage

/// The self-contained HTML status page served at `GET /`.
///
/// No external assets (the admin port may be reached through an SSH tunnel from an offline laptop): inline CSS,
/// and a few lines of inline JS that fetch `/api/v1/status` every 2 s and render any JSON generically —
/// scalars as key/value rows, arrays of objects as tables, nested objects as sections. Values are inserted
/// with `textContent`, never as HTML, so a service name cannot inject markup.
enum AdminStatusPage {
    /// `Content-Security-Policy` for the page: only its own inline script and style, fetches to itself.
    static let contentSecurityPolicy =
        "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; connect-src 'self'; "
        + "base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

    /// The page for `role`.
    static func html(role: String) -> String {
        let title = "ztna " + self.escapeHTML(role)
        return """
        <!DOCTYPE html>
        <html lang="en">
        <head>
        <meta charset="utf-8">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <title>\(title)</title>
        <style>
        body { font: 14px/1.4 system-ui, sans-serif; margin: 1.5em; color: #222; background: #fafafa; }
        h1 { font-size: 1.4em; margin: 0 0 .2em; } h2 { font-size: 1.1em; margin: 1.2em 0 .4em; }
        #meta { color: #666; margin-bottom: 1em; } .ready { color: #07641a; } .notready { color: #a30d0d; }
        table { border-collapse: collapse; margin-bottom: .8em; background: #fff; }
        th, td { border: 1px solid #ddd; padding: .25em .6em; text-align: left; vertical-align: top; }
        th { background: #f0f0f0; font-weight: 600; } td { font-family: ui-monospace, monospace; }
        section { margin-left: 1em; }
        </style>
        </head>
        <body>
        <h1>\(title)</h1>
        <div id="meta"><span id="ready">…</span> · <span id="updated">loading…</span></div>
        <div id="status"></div>
        <script>
        "use strict";
        const el = (tag, text) => { const e = document.createElement(tag); if (text !== undefined) e.textContent = text; return e; };
        const isObject = v => v !== null && typeof v === "object" && !Array.isArray(v);
        const isRecords = v => Array.isArray(v) && v.length > 0 && v.every(isObject);
        const scalar = v => v === null || v === undefined ? "—" : typeof v === "object" ? JSON.stringify(v) : String(v);
        function records(rows) {
          const keys = []; rows.forEach(r => Object.keys(r).forEach(k => { if (!keys.includes(k)) keys.push(k); }));
          const table = el("table"), head = el("tr"); keys.forEach(k => head.append(el("th", k))); table.append(head);
          rows.forEach(r => { const tr = el("tr"); keys.forEach(k => tr.append(el("td", scalar(r[k])))); table.append(tr); });
          return table;
        }
        function render(obj, into) {
          const kv = el("table"), sections = [];
          for (const [k, v] of Object.entries(obj)) {
            if (isRecords(v)) { sections.push(el("h2", k), records(v)); }
            else if (isObject(v)) { const s = el("section"); s.append(el("h2", k)); render(v, s); sections.push(s); }
            else { const tr = el("tr"); tr.append(el("th", k), el("td", Array.isArray(v) ? v.map(scalar).join(", ") : scalar(v))); kv.append(tr); }
          }
          if (kv.rows.length > 0) into.append(kv);
          into.append(...sections);
        }
        async function refresh() {
          const updated = document.getElementById("updated"), ready = document.getElementById("ready");
          try {
            const r = await fetch("/readyz", { cache: "no-store" });
            ready.textContent = r.ok ? "ready" : "not ready: " + await r.text();
            ready.className = r.ok ? "ready" : "notready";
            const s = await fetch("/api/v1/status", { cache: "no-store" });
            if (!s.ok) throw new Error("HTTP " + s.status);
            const data = await s.json(), root = document.getElementById("status");
            root.replaceChildren();
            if (isObject(data)) render(data, root); else if (isRecords(data)) root.append(records(data)); else root.append(el("pre", scalar(data)));
            updated.textContent = "updated " + new Date().toISOString();
          } catch (e) { updated.textContent = "unreachable: " + e.message; }
        }
        refresh(); setInterval(refresh, 2000);
        </script>
        </body>
        </html>

        """
    }

    /// Escapes text for an HTML text node.
    static func escapeHTML(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count)
        for character in text {
            switch character {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default: out.append(character)
            }
        }
        return out
    }
}
