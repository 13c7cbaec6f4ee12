/* page.c - dygraphs inlined into report.html, the charts as JSON blocks, decimation */
#include "page.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "gnuplot.h"
#include "../core/filetype.h"
#include "html.h"
#include "sweep.h"

#define DEBIAN_DYGRAPHS "/usr/share/javascript/dygraphs"

/* The page's own script: draws every sb-chart block, syncs the groups, writes #sb-status. */
static const char page_script[] =
"(function () {\n"
"'use strict';\n"
"var st = document.getElementById('sb-status'), failed = false;\n"
"function fail(m) { failed = true; st.textContent = 'error: ' + m; st.className = 'sb-err'; }\n"
"window.addEventListener('error', function (e) { fail(e.message || 'script error'); });\n"
"function pad(n) { return (n < 10 ? '0' : '') + n; }\n"
"function fmtT(ms) { var d = new Date(ms); return d.getUTCFullYear() + '-' +\n"
"  pad(d.getUTCMonth() + 1) + '-' + pad(d.getUTCDate()) + ' ' + pad(d.getUTCHours()) + ':' +\n"
"  pad(d.getUTCMinutes()); }\n"
"function num(v) { return v == null || isNaN(v) ? '\\u2013' : Math.abs(v) >= 1e5 ?\n"
"  v.toFixed(0) : String(+v.toPrecision(5)); }\n"
"function rowAt(g, x) { var lo = 0, hi = g.numRows() - 1; if (hi < 0) return -1;\n"
"  while (lo < hi) { var mid = (lo + hi) >> 1; if (g.getValue(mid, 0) < x) lo = mid + 1;\n"
"  else hi = mid; } return lo; }\n"
"function hasValue(rows) { for (var i = 0; i < rows.length; i++)\n"
"  for (var k = 1; k < rows[i].length; k++) if (rows[i][k] != null) return true;\n"
"  return false; }\n"
"function sync(gs) { var busy = false;\n"
"  gs.forEach(function (g) { g.updateOptions({\n"
"    drawCallback: function (me, initial) { if (busy || initial) return; busy = true;\n"
"      var r = me.xAxisRange(); gs.forEach(function (o) { var q = o.xAxisRange();\n"
"        if (o !== me && (q[0] !== r[0] || q[1] !== r[1])) o.updateOptions({ dateWindow: r }); });\n"
"      busy = false; },\n"
"    highlightCallback: function (e, x) { if (g.sbHover) g.sbHover(x); if (busy) return;\n"
"      busy = true; gs.forEach(function (o) { if (o === g) return; var r = rowAt(o, x);\n"
"        if (r >= 0) o.setSelection(r); if (o.sbHover) o.sbHover(x); }); busy = false; },\n"
"    unhighlightCallback: function () { if (busy) return; busy = true;\n"
"      gs.forEach(function (o) { if (o !== g) o.clearSelection(); }); busy = false; }\n"
"  }, true); }); }\n"
"function el(tag, cls, parent, text) { var e = document.createElement(tag);\n"
"  if (cls) e.className = cls; if (text) e.textContent = text; parent.appendChild(e); return e; }\n"
"function frame(spec, box) { var f = el('div', 'sb-frame', box);\n"
"  el('div', 'sb-title', f, spec.title); var row = el('div', 'sb-row', f);\n"
"  var c = el('div', 'sb-plot', row); c.style.height = (spec.height || 220) + 'px';\n"
"  return { f: f, c: c, leg: el('div', 'sb-legend', row) }; }\n"
"/* long / short stretches shaded; entries as triangles, exits as rings, up to 300 in view */\n"
"function tradesLayer(spec, sel) { return function (ctx, area, g) {\n"
"  var set = spec.trades.sets[sel.value | 0] || [], r = g.xAxisRange(), vis = [];\n"
"  for (var i = 0; i < set.length; i++) { var a = set[i][0] * 1000,\n"
"    b = set[i][2] == null ? r[1] : set[i][2] * 1000; if (b >= r[0] && a <= r[1]) vis.push(set[i]); }\n"
"  ctx.save();\n"
"  vis.forEach(function (t) { var x0 = g.toDomXCoord(t[0] * 1000),\n"
"    x1 = g.toDomXCoord(t[2] == null ? r[1] : t[2] * 1000);\n"
"    ctx.fillStyle = t[4] > 0 ? 'rgba(26,152,80,0.13)' : 'rgba(215,48,39,0.13)';\n"
"    ctx.fillRect(x0, area.y, Math.max(1, x1 - x0), area.h); });\n"
"  if (vis.length <= 300) vis.forEach(function (t) { var x = g.toDomXCoord(t[0] * 1000),\n"
"    y = g.toDomYCoord(t[1]), s = 6, up = t[4] > 0;\n"
"    ctx.fillStyle = up ? '#1a9850' : '#d73027'; ctx.beginPath();\n"
"    ctx.moveTo(x, up ? y - s : y + s); ctx.lineTo(x - s, up ? y + s : y - s);\n"
"    ctx.lineTo(x + s, up ? y + s : y - s); ctx.closePath(); ctx.fill();\n"
"    if (t[2] != null) { ctx.strokeStyle = '#222'; ctx.lineWidth = 1.5; ctx.beginPath();\n"
"      ctx.arc(g.toDomXCoord(t[2] * 1000), g.toDomYCoord(t[3]), 4, 0, 2 * Math.PI); ctx.stroke(); } });\n"
"  ctx.restore(); }; }\n"
"function tradeAt(set, x) { var lo = 0, hi = set.length - 1, best = -1;\n"
"  while (lo <= hi) { var mid = (lo + hi) >> 1; if (set[mid][0] * 1000 <= x) { best = mid;\n"
"    lo = mid + 1; } else hi = mid - 1; }\n"
"  return best >= 0 && (set[best][2] == null || set[best][2] * 1000 >= x) ? set[best] : null; }\n"
"function timeChart(spec, box) {\n"
"  var fr = frame(spec, box), rows = spec.data, series = {}, sel = null, info = null, g;\n"
"  for (var i = 0; i < rows.length; i++) rows[i][0] = new Date(rows[i][0] * 1000);\n"
"  (spec.dashed || []).forEach(function (k) {\n"
"    series[spec.labels[k + 1]] = { strokePattern: [6, 3], strokeWidth: 1.5 }; });\n"
"  var span = rows.length ? fmtT(+rows[0][0]) + ' to ' + fmtT(+rows[rows.length - 1][0]) : '';\n"
"  var opts = { labels: spec.labels, ylabel: spec.ylabel, labelsUTC: true, legend: 'always',\n"
"    xlabel: 'time (UTC), ' + span, xLabelHeight: 16,\n"
"    labelsDiv: fr.leg, labelsSeparateLines: true, fillGraph: !!spec.fill, series: series,\n"
"    strokeWidth: 1.2, axes: { x: { valueFormatter: fmtT, axisLabelWidth: 80 },\n"
"    y: { valueFormatter: num, axisLabelWidth: 64 } } };\n"
"  if (spec.trades) {\n"
"    var bar = el('div', 'sb-bar', fr.f); el('span', '', bar, 'trades of ');\n"
"    sel = el('select', '', bar); info = el('span', 'sb-info', bar);\n"
"    spec.trades.names.forEach(function (n, k) { var o = el('option', '', sel, n); o.value = k; });\n"
"    opts.underlayCallback = tradesLayer(spec, sel);\n"
"    sel.onchange = function () { g.updateOptions({}); };\n"
"  }\n"
"  g = new Dygraph(fr.c, rows, opts);\n"
"  if (spec.trades) g.sbHover = function (x) {\n"
"    var t = tradeAt(spec.trades.sets[sel.value | 0] || [], x);\n"
"    info.textContent = t ? (t[4] > 0 ? ' long' : ' short') + ' from ' + fmtT(t[0] * 1000) + ' at ' +\n"
"      num(t[1]) + (t[2] == null ? ', still open' : ' to ' + fmtT(t[2] * 1000) + ' at ' + num(t[3]) +\n"
"      ': ' + num(100 * t[5]) + '%') : ''; };\n"
"  return g; }\n"
"function xyChart(spec, box) {\n"
"  var fr = frame(spec, box), ticks = spec.xticks, fx = ticks ?\n"
"    function (v) { return ticks[Math.round(v)] || ''; } : num;\n"
"  var opts = { labels: spec.labels, xlabel: spec.xlabel, ylabel: spec.ylabel, legend: 'always',\n"
"    labelsDiv: fr.leg, labelsSeparateLines: true, customBars: true, drawPoints: true,\n"
"    pointSize: 3, strokeWidth: 1.5, axes: { x: { valueFormatter: fx },\n"
"    y: { valueFormatter: num, axisLabelWidth: 64 } } };\n"
"  if (ticks) opts.axes.x.ticker = function () { var out = [], step = Math.ceil(ticks.length / 12);\n"
"    for (var i = 0; i < ticks.length; i += step) out.push({ v: i, label: ticks[i] }); return out; };\n"
"  return new Dygraph(fr.c, spec.data, opts); }\n"
"try {\n"
"  var blocks = document.querySelectorAll('script.sb-chart'), groups = {}, n = 0, empty = [];\n"
"  for (var i = 0; i < blocks.length; i++) {\n"
"    var spec = JSON.parse(blocks[i].textContent), box = document.getElementById(spec.box);\n"
"    var ok = spec.data.length > 0 && hasValue(spec.data);\n"
"    var g = spec.kind === 'time' ? timeChart(spec, box) : xyChart(spec, box);\n"
"    if (!ok || g.numRows() === 0) empty.push(spec.title);\n"
"    if (spec.group != null) (groups[spec.group] = groups[spec.group] || []).push(g);\n"
"    n++;\n"
"  }\n"
"  for (var k in groups) if (groups[k].length > 1) sync(groups[k]);\n"
"  if (!failed) { if (empty.length) fail('empty chart: ' + empty.join('; '));\n"
"    else { st.textContent = 'ok: ' + n + ' charts drawn, ' + Math.round(performance.now()) +\n"
"      ' ms after the page started loading'; st.className = 'sb-ok'; } }\n"
"} catch (e) { fail(e.message); }\n"
"})();\n";

static const char page_style[] =
".sb-frame{margin:1em 0 1.5em}.sb-title{font-weight:bold;margin:.3em 0}\n"
".sb-row{display:flex;gap:8px}.sb-plot{flex:1;min-width:0}\n"
".sb-legend{width:300px;font-size:75%;overflow-wrap:break-word}\n"
".sb-bar{font-size:90%;margin:.3em 0}.sb-info{color:#444;margin-left:1em}\n"
".sb-ok,.sb-err,#sb-status{font-size:85%;color:#666}.sb-err{color:#b2182b;font-weight:bold}\n"
".dygraph-legend{background:transparent!important}\n";

static bool is_file(const char *p)
{
	struct stat st;

	return stat(p, &st) == 0 && S_ISREG(st.st_mode);
}

void sb_page_open(struct sb_page *p, FILE *f)
{
	char exe[4000], dirs[3][4096];
	const char *env = getenv("SENTIBT_DYGRAPHS");
	int nd = 0;

	memset(p, 0, sizeof(*p));
	p->f = f;
	p->group_charts = -1;
	/* $SENTIBT_DYGRAPHS, when set, is the only place looked at */
	if (env && *env)
		snprintf(dirs[nd++], sizeof(dirs[0]), "%s", env);
	if (!(env && *env)) {
		if (sb_exe_dir(exe, sizeof(exe)))
			snprintf(dirs[nd++], sizeof(dirs[0]), "%s/../share/sentibt/dygraphs", exe);
		snprintf(dirs[nd++], sizeof(dirs[0]), "%s", DEBIAN_DYGRAPHS);
	}
	for (int k = 0; k < nd && !p->live; k++) {
		if (snprintf(p->js, sizeof(p->js), "%s/dygraph.min.js", dirs[k]) >= (int)sizeof(p->js) ||
		    snprintf(p->css, sizeof(p->css), "%s/dygraph.min.css", dirs[k]) >= (int)sizeof(p->css))
			continue;
		p->live = is_file(p->js) && is_file(p->css);
	}
}

void sb_page_note(const struct sb_page *p)
{
	if (p->live)
		fputs("<p id=\"sb-status\">drawing the charts&hellip;</p>\n<p class=\"note\">Charts: "
		      "drag to zoom, shift-drag to pan, double-click to zoom out; charts of one "
		      "group share their time axis. Hover for values.</p>\n", p->f);
	else
	{
		fputs("<p id=\"sb-status\" class=\"note\">static page: dygraphs (Debian's "
		      "libjs-dygraphs) was not found (", p->f);
		sb_html_esc(p->f, p->js);
		fputs("), so the charts are the gnuplot images.</p>\n", p->f);
	}
}

/* The bytes of 'path' into f; "</script" cannot occur in dygraphs' minified code. */
static enum sb_err inline_file(FILE *f, const char *path, struct sb_errbuf *err)
{
	char buf[65536];
	size_t n;
	FILE *in = fopen(path, "rb");

	if (!in)
		return sb_errf(err, SB_EIO, "%s: cannot open: %s", path, strerror(errno));
	while ((n = fread(buf, 1, sizeof(buf), in)) > 0)
		fwrite(buf, 1, n, f);
	n = (size_t)ferror(in);
	fclose(in);
	return n ? sb_errf(err, SB_EIO, "%s: read failed", path) : SB_OK;
}

enum sb_err sb_page_close(struct sb_page *p, struct sb_errbuf *err)
{
	enum sb_err rc;

	if (!p->live)
		return SB_OK;
	fputs("<style>\n", p->f);
	rc = inline_file(p->f, p->css, err);
	if (rc)
		return rc;
	fprintf(p->f, "\n%s</style>\n<script>\n", page_style);
	rc = inline_file(p->f, p->js, err);
	if (rc)
		return rc;
	fprintf(p->f, "\n</script>\n<script>\n%s</script>\n", page_script);
	return SB_OK;
}

size_t sb_decimate(size_t n, const double *t, const double *const *y, int m,
		   size_t buckets, unsigned char *keep)
{
	size_t kept = 0, b0 = 0;
	double span;

	if (n <= 4 * buckets || !(t[n - 1] > t[0])) {
		memset(keep, 1, n);
		return n;
	}
	memset(keep, 0, n);
	span = t[n - 1] - t[0];
	while (b0 < n) {
		size_t bucket = (size_t)((t[b0] - t[0]) / span * (double)buckets), b1 = b0 + 1;

		while (b1 < n && (size_t)((t[b1] - t[0]) / span * (double)buckets) == bucket)
			b1++;
		keep[b0] = keep[b1 - 1] = 1;
		for (int k = 0; k < m; k++) {
			size_t lo = n, hi = n;

			for (size_t i = b0; i < b1; i++) {
				double v = y[k][i];

				if (isnan(v))
					continue;
				if (lo == n || v < y[k][lo])
					lo = i;
				if (hi == n || v > y[k][hi])
					hi = i;
			}
			if (lo < n)
				keep[lo] = keep[hi] = 1;
		}
		b0 = b1;
	}
	for (size_t i = 0; i < n; i++)
		kept += keep[i];
	return kept;
}

void sb_page_json_str(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\')
			fprintf(f, "\\%c", c);
		else if (c < 0x20 || c == '<' || c == '>' || c == '&')
			fprintf(f, "\\u%04x", c);
		else
			fputc(c, f);
	}
	fputc('"', f);
}

/* A number with 7 significant digits (plenty for a chart), null for NaN. */
static void json_num(FILE *f, double v)
{
	if (isfinite(v))
		fprintf(f, "%.7g", v);
	else
		fputs("null", f);
}

void sb_page_group_begin(struct sb_page *p)
{
	p->group_charts = 0;
}

void sb_page_group_end(struct sb_page *p)
{
	p->group_charts = -1;
}

/* <div id="sb-chart-N"></div><script class="sb-chart" ...>{"box":..,"kind":..,"title":.. */
static void chart_begin(struct sb_page *p, const char *kind, const char *title, int height)
{
	p->charts++;
	fprintf(p->f, "<div id=\"sb-chart-%d\"></div>\n<script type=\"application/json\" "
		"class=\"sb-chart\">{\"box\":\"sb-chart-%d\",\"kind\":\"%s\",\"height\":%d,",
		p->charts, p->charts, kind, height);
	if (p->group_charts >= 0) {
		fprintf(p->f, "\"group\":%d,", p->charts - p->group_charts);
		p->group_charts++;
	}
	fputs("\"title\":", p->f);
	sb_page_json_str(p->f, title);
}

static void labels(FILE *f, const char *x, const char *const *names, int m)
{
	fputs(",\"labels\":[", f);
	sb_page_json_str(f, x);
	for (int k = 0; k < m; k++) {
		fputc(',', f);
		sb_page_json_str(f, names[k]);
	}
	fputc(']', f);
}

static void trades_json(FILE *f, const struct sb_page_trades *tr, int ntr)
{
	fputs(",\"trades\":{\"names\":[", f);
	for (int s = 0; s < ntr; s++) {
		if (s)
			fputc(',', f);
		sb_page_json_str(f, tr[s].name);
	}
	fputs("],\"sets\":[", f);
	for (int s = 0; s < ntr; s++) {
		const struct sb_table *t = tr[s].t;
		int ret = sb_table_col(t, "return");

		fputs(s ? ",[" : "[", f);
		for (size_t r = 0; t && r < t->nrow; r++) {
			fputs(r ? ",[" : "[", f);
			json_num(f, sb_table_cell(t, r, tr[s].entry_time));
			fputc(',', f);
			json_num(f, sb_table_cell(t, r, tr[s].entry_price));
			fputc(',', f);
			json_num(f, sb_table_cell(t, r, tr[s].exit_time));
			fputc(',', f);
			json_num(f, sb_table_cell(t, r, tr[s].exit_price));
			fputc(',', f);
			json_num(f, sb_table_cell(t, r, tr[s].side));
			fputc(',', f);
			json_num(f, sb_table_cell(t, r, ret));
			fputc(']', f);
		}
		fputc(']', f);
	}
	fputs("]}", f);
}

enum sb_err sb_page_time_chart(struct sb_page *p, const char *title, const char *ylabel,
			       size_t n, const double *t, const double *const *y, int m,
			       const char *const *names, unsigned dashed, bool fill,
			       const struct sb_page_trades *tr, int ntr, struct sb_errbuf *err)
{
	unsigned char *keep;
	bool first = true;

	if (!p->live)
		return SB_OK;
	keep = malloc(n ? n : 1);
	if (!keep)
		return sb_errf(err, SB_ENOMEM, "out of memory");
	sb_decimate(n, t, y, m, SB_PAGE_BUCKETS, keep);
	chart_begin(p, "time", title, tr ? 300 : 200);
	fputs(",\"ylabel\":", p->f);
	sb_page_json_str(p->f, ylabel);
	labels(p->f, "time", names, m);
	fputs(",\"dashed\":[", p->f);
	for (int k = 0, c = 0; k < m; k++)
		if (dashed & (1u << k))
			fprintf(p->f, "%s%d", c++ ? "," : "", k);
	fprintf(p->f, "],\"fill\":%s", fill ? "true" : "false");
	if (tr && ntr > 0)
		trades_json(p->f, tr, ntr);
	fputs(",\"data\":[", p->f);
	for (size_t i = 0; i < n; i++) {
		if (!keep[i])
			continue;
		fprintf(p->f, "%s[%.0f", first ? "" : ",\n", t[i]);
		first = false;
		for (int k = 0; k < m; k++) {
			fputc(',', p->f);
			json_num(p->f, y[k][i]);
		}
		fputc(']', p->f);
	}
	fputs("]}</script>\n", p->f);
	free(keep);
	return SB_OK;
}

void sb_page_xy_chart(struct sb_page *p, const char *title, const char *xlabel,
		      const char *ylabel, bool x_dur, size_t n, const double *x,
		      const struct sb_page_series *s, int m)
{
	const char *names[16];

	if (!p->live)
		return;
	if (m > 16)
		m = 16;
	for (int k = 0; k < m; k++)
		names[k] = s[k].name;
	chart_begin(p, "xy", title, 300);
	fputs(",\"xlabel\":", p->f);
	sb_page_json_str(p->f, xlabel);
	fputs(",\"ylabel\":", p->f);
	sb_page_json_str(p->f, ylabel);
	labels(p->f, xlabel, names, m);
	if (x_dur) {
		/* durations: one category per value, labelled 5m, 1h ... */
		fputs(",\"xticks\":[", p->f);
		for (size_t i = 0; i < n; i++) {
			char d[64];

			sb_fmt_duration(x[i], d, sizeof(d));
			fputs(i ? "," : "", p->f);
			sb_page_json_str(p->f, d);
		}
		fputc(']', p->f);
	}
	fputs(",\"data\":[", p->f);
	for (size_t i = 0; i < n; i++) {
		fprintf(p->f, "%s[", i ? ",\n" : "");
		if (x_dur)
			fprintf(p->f, "%zu", i);
		else
			json_num(p->f, x[i]);
		for (int k = 0; k < m; k++) {
			double v = s[k].y[i];

			if (isnan(v)) {
				fputs(",null", p->f);
				continue;
			}
			fputs(",[", p->f);
			json_num(p->f, s[k].lo && !isnan(s[k].lo[i]) ? s[k].lo[i] : v);
			fputc(',', p->f);
			json_num(p->f, v);
			fputc(',', p->f);
			json_num(p->f, s[k].hi && !isnan(s[k].hi[i]) ? s[k].hi[i] : v);
			fputc(']', p->f);
		}
		fputc(']', p->f);
	}
	fputs("]}</script>\n", p->f);
}
