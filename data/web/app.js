// svcmap web map: the /v1 routes of svcmapd or svcmapctl serve, drawn.
//
// Plain ES module, no build step, no third-party code, works offline.
// Every string that comes from the API reaches the page through
// textContent or an attribute set with setAttribute(), never as HTML:
// host names, NetBIOS names and alert details are chosen by whoever is on
// the network (the page's Content-Security-Policy forbids inline script
// as a second line).
//
// Views (the location hash, so Back and links work):
//   #/?service=KEY&q=TEXT&sort=ip|bytes|services&page=N   host x service matrix
//   #/host/IP                                             one host
//   #/series/KEY?host=IP&res=minute|hour|day&metric=M     a service over time
//   #/alerts?kind=K&sev=N&state=S&q=TEXT                  alerts
//   #/endpoints?q=TEXT                                    learned endpoints
//   #/totals                                              run totals, status

'use strict';

const PAGE_ROWS = 1000;          // rows per API page (the API default)
const ALERT_KINDS = ['undocumented_service', 'protocol_mismatch',
	'unmapped_dynamic_port', 'new_service', 'sensitive_operation'];
const METRICS = ['bytes', 'packets', 'flows', 'clients'];

/* ------------------------------------------------------------------ */
/* DOM helpers: text only */

// h('td', {class: 'x', title: t}, child...): children are nodes or text.
function h(tag, attrs, ...children) {
	const svg = ['svg', 'g', 'rect', 'line', 'text', 'title', 'path',
		'polyline'].includes(tag);
	const el = svg ?
		document.createElementNS('http://www.w3.org/2000/svg', tag) :
		document.createElement(tag);
	for (const [k, v] of Object.entries(attrs || {})) {
		if (v === undefined || v === null || v === false)
			continue;
		if (k.startsWith('on'))
			el.addEventListener(k.slice(2), v);
		else
			el.setAttribute(k, v === true ? '' : String(v));
	}
	for (const c of children.flat()) {
		if (c === undefined || c === null || c === false)
			continue;
		el.append(c instanceof Node ? c : document.createTextNode(
			String(c)));
	}
	return el;
}

function clear(el) {
	while (el.firstChild)
		el.removeChild(el.firstChild);
	return el;
}

const view = () => document.getElementById('view');

function showError(msg) {
	const e = document.getElementById('error');
	if (!msg) {
		e.hidden = true;
		clear(e);
		return;
	}
	clear(e).append(msg);
	e.hidden = false;
}

/* ------------------------------------------------------------------ */
/* Formatting */

const nf = new Intl.NumberFormat('en-US');

function fmtNum(n) {
	return n === null || n === undefined ? '–' : nf.format(n);
}

function fmtBytes(n) {
	if (n === null || n === undefined)
		return '–';
	const u = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'];
	let i = 0;
	let v = Number(n);
	while (v >= 1024 && i < u.length - 1) {
		v /= 1024;
		i++;
	}
	return (i === 0 ? String(v) : v.toFixed(v < 10 ? 1 : 0)) + ' ' + u[i];
}

function fmtTime(t) {
	return t ? String(t).replace('T', ' ').replace('Z', ' UTC') : '–';
}

function portText(r) {
	if (r.port === null || r.port === undefined)
		return '–';
	return r.transport ? `${r.port}/${r.transport}` : String(r.port);
}

// A sort key that orders IPv4 numerically, then IPv6 by its full form.
function ipKey(ip) {
	const s = String(ip);
	const v4 = /^(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(s);
	if (v4)
		return '4' + v4.slice(1).map(o => o.padStart(3, '0')).join('');
	if (s.includes(':')) {
		const [a, b] = s.split('::');
		const head = a ? a.split(':') : [];
		const tail = b !== undefined && b ? b.split(':') : [];
		const fill = b !== undefined ?
			Array(Math.max(0, 8 - head.length - tail.length)).fill('0') :
			[];
		return '6' + [...head, ...fill, ...tail].map(
			g => g.padStart(4, '0')).join('');
	}
	return '9' + s;
}

/* ------------------------------------------------------------------ */
/* The API */

class ApiError extends Error {
	constructor(status, msg) {
		super(msg);
		this.status = status;
	}
}

async function api(path) {
	const res = await fetch(path, { headers: { Accept: 'application/json' } });
	let body = null;
	try {
		body = await res.json();
	} catch (e) {
		body = null;
	}
	if (!res.ok) {
		const why = body && typeof body.error === 'string' ?
			body.error : res.statusText;
		throw new ApiError(res.status, `${path}: ${res.status} ${why}`);
	}
	return { body, next: res.headers.get('X-Next-Cursor') };
}

// Every row of a paged route, following X-Next-Cursor.
async function apiAll(path, progress) {
	const rows = [];
	const sep = path.includes('?') ? '&' : '?';
	let cursor = null;
	do {
		const url = `${path}${sep}limit=${PAGE_ROWS}` + (cursor ?
			`&cursor=${encodeURIComponent(cursor)}` : '');
		const { body, next } = await api(url);
		if (!Array.isArray(body))
			throw new Error(`${path}: not a JSON array`);
		rows.push(...body);
		cursor = next;
		if (progress)
			progress(rows.length);
	} while (cursor);
	return rows;
}

/* ------------------------------------------------------------------ */
/* Routing */

function parseHash() {
	const raw = location.hash.replace(/^#/, '') || '/';
	const q = raw.indexOf('?');
	const path = q < 0 ? raw : raw.slice(0, q);
	const params = new URLSearchParams(q < 0 ? '' : raw.slice(q + 1));
	const parts = path.split('/').filter(Boolean).map(decodeURIComponent);
	return { parts, params };
}

function hashFor(parts, params) {
	const p = new URLSearchParams();
	for (const [k, v] of Object.entries(params || {}))
		if (v !== undefined && v !== null && v !== '')
			p.set(k, v);
	const qs = p.toString();
	return '#/' + parts.map(encodeURIComponent).join('/') +
		(qs ? '?' + qs : '');
}

function setNav(name) {
	for (const a of document.querySelectorAll('nav a[data-view]')) {
		if (a.dataset.view === name)
			a.setAttribute('aria-current', 'page');
		else
			a.removeAttribute('aria-current');
	}
}

let routeSeq = 0;

async function route() {
	const seq = ++routeSeq;
	const { parts, params } = parseHash();
	const v = view();
	hideTip();
	showError(null);
	const fresh = () => seq === routeSeq;
	try {
		switch (parts[0] || '') {
		case '':
			setNav('map');
			await mapView(v, params, fresh);
			break;
		case 'host':
			setNav('map');
			await hostView(v, parts[1] || '', fresh);
			break;
		case 'series':
			setNav('map');
			await seriesView(v, parts[1] || '', params, fresh);
			break;
		case 'alerts':
			setNav('alerts');
			await alertsView(v, params, fresh);
			break;
		case 'endpoints':
			setNav('endpoints');
			await endpointsView(v, params, fresh);
			break;
		case 'totals':
			setNav('totals');
			await totalsView(v, fresh);
			break;
		default:
			clear(v).append(h('h2', { tabindex: '-1' }, 'Not found'),
				h('p', {}, 'No such view. ',
					h('a', { href: '#/' }, 'Back to the map')));
		}
	} catch (e) {
		if (fresh()) {
			showError(e.message);
			const p = v.querySelector('.loading');
			if (p)
				p.remove();
		}
	}
	document.body.dataset.ready = String(seq);
}

function loading(v, what) {
	clear(v).append(h('p', { class: 'loading' }, `Loading ${what}…`));
	return v.firstChild;
}

// The view's heading takes the focus, so a screen reader announces it.
function heading(text, level) {
	return h(level || 'h2', { tabindex: '-1', class: 'view-title' }, text);
}

// A control that redraws the view names what should have the focus
// after it (the same column button, the same pager button), so keyboard
// users keep their place; otherwise the new view's heading takes it.
let refocus = null;

function focusHeading(v) {
	const want = refocus;
	refocus = null;
	const el = want ? v.querySelector(want) : null;
	if (el) {
		if (el.dataset.row !== undefined) {
			// The grid's one tab stop moves with the focus.
			for (const x of v.querySelectorAll(
				'table.matrix [tabindex="0"]'))
				x.tabIndex = -1;
			el.tabIndex = 0;
		}
		el.focus({ preventScroll: false });
		return;
	}
	const t = v.querySelector('.view-title');
	if (t && !(v.contains(document.activeElement) &&
	    document.activeElement !== v))
		t.focus({ preventScroll: true });
}

/* ------------------------------------------------------------------ */
/* Tooltip: hover and keyboard focus alike */

function showTip(target, lines) {
	const tip = document.getElementById('tip');
	clear(tip);
	for (const l of lines)
		tip.append(h('div', {}, l));
	tip.hidden = false;
	const r = target.getBoundingClientRect();
	const left = Math.min(window.scrollX + r.left,
		window.scrollX + document.documentElement.clientWidth -
		tip.offsetWidth - 8);
	tip.style.left = Math.max(4, left) + 'px';
	tip.style.top = (window.scrollY + r.bottom + 6) + 'px';
}

function hideTip() {
	const tip = document.getElementById('tip');
	if (tip)
		tip.hidden = true;
}

/* ------------------------------------------------------------------ */
/* The matrix */

// Loaded once, kept across views; "Reload" loads again.
let matrix = null;

async function loadMatrix(progress) {
	const hostsRows = await apiAll('v1/hosts', n => progress('hosts', n));
	const svcRows = await apiAll('v1/services?all=1',
		n => progress('service rows', n));
	const hosts = new Map();
	for (const x of hostsRows) {
		const cur = hosts.get(x.ip);
		if (cur) {
			// The same address seen by several sensors.
			cur.bytes += x.bytes || 0;
			cur.sensors.add(x.sensor);
			if (!cur.name && x.name)
				cur.name = x.name;
			if (Array.isArray(x.roles))
				cur.roles.push(...x.roles);
			continue;
		}
		hosts.set(x.ip, {
			ip: x.ip, name: x.name || null, bytes: x.bytes || 0,
			sensors: new Set([x.sensor]),
			roles: Array.isArray(x.roles) ? [...x.roles] : [],
			cells: new Map(), key: ipKey(x.ip)
		});
	}
	const services = new Map();
	for (const r of svcRows) {
		let host = hosts.get(r.server_ip);
		if (!host) {
			host = {
				ip: r.server_ip, name: null, bytes: 0,
				sensors: new Set([r.sensor]), roles: [],
				cells: new Map(), key: ipKey(r.server_ip)
			};
			hosts.set(r.server_ip, host);
		}
		let col = services.get(r.service);
		if (!col) {
			col = { key: r.service, name: r.name || r.service,
				bytes: 0, hosts: 0 };
			services.set(r.service, col);
		}
		let cell = host.cells.get(r.service);
		if (!cell) {
			cell = { bytes: 0, packets: 0, flows: 0, clients: 0,
				rows: [] };
			host.cells.set(r.service, cell);
			col.hosts++;
		}
		cell.bytes += r.bytes || 0;
		cell.packets += r.packets || 0;
		cell.flows += r.flows || 0;
		cell.clients += r.clients || 0;
		cell.rows.push(r);
		col.bytes += r.bytes || 0;
	}
	let max = 0;
	for (const hst of hosts.values())
		for (const c of hst.cells.values())
			max = Math.max(max, c.bytes);
	// Busiest services first: the left of the matrix is what matters.
	const cols = [...services.values()].sort((a, b) =>
		b.bytes - a.bytes || a.key.localeCompare(b.key));
	return { hosts: [...hosts.values()], cols, max,
		nrows: svcRows.length };
}

function roleText(r) {
	if (r === null || typeof r !== 'object')
		return String(r);
	return String(r.role ?? '');
}

function roleTitle(r) {
	if (r === null || typeof r !== 'object')
		return '';
	const ev = Array.isArray(r.evidence) ? r.evidence.join('; ') :
		typeof r.evidence === 'object' && r.evidence !== null ?
			JSON.stringify(r.evidence) : r.evidence;
	const parts = [];
	if (r.confidence !== undefined && r.confidence !== null)
		parts.push(`confidence ${r.confidence}`);
	if (ev)
		parts.push(`evidence: ${ev}`);
	if (r.since)
		parts.push(`since ${fmtTime(r.since)}`);
	return parts.join(', ');
}

function roleBadges(roles) {
	return (roles || []).map(r => h('span', { class: 'role',
		title: roleTitle(r) || null }, roleText(r)));
}

function cellLines(host, col, cell) {
	const lines = [`${host.ip}${host.name ? ' (' + host.name + ')' : ''}`,
		`${col.name} [${col.key}]`,
		`${fmtBytes(cell.bytes)}, ${fmtNum(cell.packets)} packets, ` +
		`${fmtNum(cell.flows)} flows, ${fmtNum(cell.clients)} clients`];
	for (const r of cell.rows.slice(0, 6)) {
		let l = `${portText(r)} method ${r.method}`;
		if (r.interface)
			l += `, interface ${r.interface}`;
		if (r.protocol)
			l += `, ${r.protocol}`;
		if (r.vlan)
			l += `, VLAN ${r.vlan}`;
		lines.push(l);
	}
	if (cell.rows.length > 6)
		lines.push(`… ${cell.rows.length - 6} more rows`);
	return lines;
}

function shade(cell, max, undocumented) {
	// Log scale: a 1 KB service stays visible beside a 10 GB one.
	const t = max > 1 ? Math.log1p(cell.bytes) / Math.log1p(max) : 1;
	const a = 0.18 + 0.82 * t;
	return undocumented ? `rgba(220, 38, 38, ${a.toFixed(3)})` :
		`rgba(37, 99, 235, ${a.toFixed(3)})`;
}

function filterHosts(m, params) {
	const svc = params.get('service') || '';
	const q = (params.get('q') || '').trim().toLowerCase();
	let list = m.hosts;
	if (svc)
		list = list.filter(x => x.cells.has(svc));
	if (q)
		list = list.filter(x => x.ip.toLowerCase().includes(q) ||
			(x.name && x.name.toLowerCase().includes(q)) ||
			x.roles.some(r => roleText(r).toLowerCase().includes(q)));
	const sort = params.get('sort') || 'ip';
	const by = {
		ip: (a, b) => a.key < b.key ? -1 : a.key > b.key ? 1 : 0,
		bytes: (a, b) => b.bytes - a.bytes || (a.key < b.key ? -1 : 1),
		services: (a, b) => b.cells.size - a.cells.size ||
			(a.key < b.key ? -1 : 1)
	}[sort] || ((a, b) => (a.key < b.key ? -1 : 1));
	return [...list].sort(by);
}

function mapParams(params, change) {
	const o = {
		service: params.get('service'), q: params.get('q'),
		sort: params.get('sort'), rows: params.get('rows'),
		page: params.get('page')
	};
	return Object.assign(o, change);
}

async function mapView(v, params, fresh) {
	if (!matrix || params.get('reload')) {
		const p = loading(v, 'the map');
		matrix = await loadMatrix((what, n) => {
			p.textContent = `Loading ${what}… ${fmtNum(n)}`;
		});
		if (params.get('reload')) {
			params.delete('reload');
			history.replaceState(null, '', hashFor([],
				mapParams(params, {})));
		}
	}
	if (!fresh())
		return;
	const m = matrix;
	const svc = params.get('service') || '';
	const cols = svc ? m.cols.filter(c => c.key === svc) : m.cols;
	const list = filterHosts(m, params);
	const per = Math.max(10, Math.min(1000,
		parseInt(params.get('rows') || '100', 10) || 100));
	const pages = Math.max(1, Math.ceil(list.length / per));
	const page = Math.min(pages, Math.max(1,
		parseInt(params.get('page') || '1', 10) || 1));
	const shown = list.slice((page - 1) * per, page * per);
	const go = change => {
		location.hash = hashFor([], mapParams(params, change));
	};

	clear(v);
	v.append(heading('Hosts and the services they serve'));
	const search = h('input', { type: 'search', id: 'q', name: 'q',
		value: params.get('q') || '', placeholder: 'address, name or role',
		autocomplete: 'off' });
	const form = h('form', { class: 'controls', role: 'search',
		onsubmit: e => {
			e.preventDefault();
			go({ q: search.value.trim(), page: null });
		} },
		h('label', { for: 'q' }, 'Filter hosts '), search,
		h('button', { type: 'submit' }, 'Filter'),
		h('label', { for: 'sort' }, ' Sort '),
		h('select', { id: 'sort', onchange: e => go({
			sort: e.target.value, page: null }) },
		['ip', 'bytes', 'services'].map(s => h('option', { value: s,
			selected: (params.get('sort') || 'ip') === s },
			s === 'ip' ? 'address' : s))),
		h('button', { type: 'button', onclick: () => go({
			reload: '1' }) }, 'Reload'));
	v.append(form);

	const summary = h('p', { class: 'summary', id: 'matrix-summary',
		'aria-live': 'polite' },
	`${fmtNum(list.length)} of ${fmtNum(m.hosts.length)} hosts, ` +
	`${fmtNum(cols.length)} of ${fmtNum(m.cols.length)} services ` +
	`(${fmtNum(m.nrows)} service rows).`);
	if (svc) {
		const col = m.cols.find(c => c.key === svc);
		summary.append(' Showing hosts serving ',
			h('strong', {}, col ? col.name : svc), '. ',
			h('a', { href: hashFor([], mapParams(params, {
				service: null, page: null })), id: 'clear-service' },
			'Show every service'), ' · ',
			h('a', { href: hashFor(['series', svc], {}) },
				'its traffic over time'));
	}
	v.append(summary);
	if (m.hosts.length === 0) {
		v.append(h('p', {}, 'Nothing observed yet.'));
		focusHeading(v);
		return;
	}

	const thead = h('thead', {}, h('tr', {},
		h('th', { scope: 'col', class: 'corner' }, 'Host'),
		cols.map((c, i) => h('th', { scope: 'col', class: 'svc' +
			(c.key === 'undocumented' ? ' undoc' : '') },
		h('button', { type: 'button', class: 'colbtn',
			'data-service': c.key, 'data-col': i + 1,
			'aria-pressed': svc === c.key ? 'true' : 'false',
			title: `${c.name}: ${fmtBytes(c.bytes)} on ` +
				`${fmtNum(c.hosts)} hosts; select to show only ` +
				'the hosts that serve it',
			onclick: () => {
				refocus = `button.colbtn[data-service="${
					CSS.escape(c.key)}"]`;
				go({ service: svc === c.key ? null : c.key,
					page: null });
			} },
		h('span', {}, c.key))))));
	const tbody = h('tbody', {});
	shown.forEach((hst, ri) => {
		const tr = h('tr', { 'data-ip': hst.ip });
		tr.append(h('th', { scope: 'row', class: 'host',
			'data-row': ri, 'data-col': 0, tabindex: '-1' },
		h('a', { href: hashFor(['host', hst.ip], {}), tabindex: '-1' },
			hst.ip),
		hst.name ? h('span', { class: 'hname' }, hst.name) : null,
		roleBadges(hst.roles)));
		cols.forEach((c, ci) => {
			const cell = hst.cells.get(c.key);
			const td = h('td', { 'data-row': ri, 'data-col': ci + 1,
				tabindex: '-1' });
			if (cell) {
				td.className = 'on';
				td.dataset.service = c.key;
				const lines = cellLines(hst, c, cell);
				td.setAttribute('aria-label', lines.join('; '));
				const sw = h('span', { class: 'sw' });
				sw.style.backgroundColor = shade(cell, m.max,
					c.key === 'undocumented' ||
					cell.rows.every(r => r.method === 'none'));
				td.append(sw);
			} else
				td.setAttribute('aria-label',
					`${hst.ip}: no ${c.key}`);
			tr.append(td);
		});
		tbody.append(tr);
	});
	const table = h('table', { class: 'matrix', role: 'grid',
		'aria-describedby': 'matrix-summary matrix-help',
		'aria-rowcount': list.length + 1,
		'aria-colcount': cols.length + 1 }, thead, tbody);
	// One cell is in the tab order (roving tabindex); arrows move it.
	const first = tbody.querySelector('[data-row="0"][data-col="0"]');
	if (first)
		first.tabIndex = 0;
	table.addEventListener('keydown', e => gridKey(e, table, shown, cols,
		go, page, pages));
	table.addEventListener('click', e => {
		const td = e.target.closest('td.on');
		if (td)
			gridOpen(td, shown, cols);
	});
	const tipFor = td => {
		const hst = shown[+td.dataset.row];
		const c = cols[+td.dataset.col - 1];
		if (hst && c && hst.cells.get(c.key))
			showTip(td, cellLines(hst, c, hst.cells.get(c.key)));
	};
	table.addEventListener('mouseover', e => {
		const td = e.target.closest('td.on');
		if (td)
			tipFor(td);
		else
			hideTip();
	});
	table.addEventListener('mouseleave', hideTip);
	table.addEventListener('focusin', e => {
		const td = e.target.closest('td.on');
		if (td)
			tipFor(td);
		else
			hideTip();
	});
	table.addEventListener('focusout', hideTip);
	v.append(h('div', { class: 'scroll matrix-wrap' }, table));
	v.append(h('p', { class: 'help', id: 'matrix-help' },
		'Arrow keys move between cells, Home and End to the row\'s ' +
		'ends, Page Up and Page Down between pages; Enter opens a ' +
		'cell\'s time series or a host\'s page. Darker cells carry ' +
		'more bytes (log scale); red: no documented service.'));
	v.append(h('nav', { class: 'pager', 'aria-label': 'Host pages' },
		h('button', { type: 'button', disabled: page <= 1,
			onclick: () => {
				refocus = page - 1 > 1 ? '#prev' : '#next';
				go({ page: page - 1 });
			}, id: 'prev' }, '‹ Previous'),
		h('span', {}, ` page ${page} of ${pages} (hosts ` +
			`${fmtNum(list.length ? (page - 1) * per + 1 : 0)}–` +
			`${fmtNum(Math.min(list.length, page * per))}) `),
		h('button', { type: 'button', disabled: page >= pages,
			onclick: () => {
				refocus = page + 1 < pages ? '#next' : '#prev';
				go({ page: page + 1 });
			}, id: 'next' }, 'Next ›'),
		h('label', { for: 'rows' }, ' rows per page '),
		h('select', { id: 'rows', onchange: e => go({
			rows: e.target.value, page: null }) },
		['50', '100', '250', '500', '1000'].map(n => h('option', {
			value: n, selected: String(per) === n }, n)))));
	focusHeading(v);
}

function gridOpen(td, shown, cols) {
	const hst = shown[+td.dataset.row];
	const c = cols[+td.dataset.col - 1];
	if (hst && c)
		location.hash = hashFor(['series', c.key], { host: hst.ip });
}

function gridKey(e, table, shown, cols, go, page, pages) {
	const cur = e.target.closest('[data-row]');
	if (!cur)
		return;
	let r = +cur.dataset.row;
	let c = +cur.dataset.col;
	const lastRow = shown.length - 1;
	switch (e.key) {
	case 'ArrowUp': r = Math.max(0, r - 1); break;
	case 'ArrowDown': r = Math.min(lastRow, r + 1); break;
	case 'ArrowLeft': c = Math.max(0, c - 1); break;
	case 'ArrowRight': c = Math.min(cols.length, c + 1); break;
	case 'Home': c = 0; if (e.ctrlKey) r = 0; break;
	case 'End': c = cols.length; if (e.ctrlKey) r = lastRow; break;
	case 'PageDown':
		if (page < pages) {
			refocus = `[data-row="0"][data-col="${c}"]`;
			go({ page: page + 1 });
		}
		e.preventDefault();
		return;
	case 'PageUp':
		if (page > 1) {
			refocus = `[data-row="0"][data-col="${c}"]`;
			go({ page: page - 1 });
		}
		e.preventDefault();
		return;
	case 'Enter':
	case ' ':
		if (c === 0)
			location.hash = hashFor(['host', shown[r].ip], {});
		else if (cur.classList.contains('on'))
			gridOpen(cur, shown, cols);
		e.preventDefault();
		return;
	default:
		return;
	}
	e.preventDefault();
	const next = table.querySelector(`[data-row="${r}"][data-col="${c}"]`);
	if (next && next !== cur) {
		cur.tabIndex = -1;
		next.tabIndex = 0;
		next.focus();
	}
}

/* ------------------------------------------------------------------ */
/* Tables */

// cols: [{ label, get(row) -> text or node, num?: bool }]
function table(cols, rows, caption) {
	return h('div', { class: 'scroll' }, h('table', { class: 'list' },
		caption ? h('caption', {}, caption) : null,
		h('thead', {}, h('tr', {}, cols.map(c => h('th', { scope: 'col',
			class: c.num ? 'num' : null }, c.label)))),
		h('tbody', {}, rows.map(r => h('tr', {}, cols.map(c => h('td', {
			class: c.num ? 'num' : null }, c.get(r))))))));
}

function hostLink(ip) {
	return ip ? h('a', { href: hashFor(['host', ip], {}) }, ip) : '–';
}

/* ------------------------------------------------------------------ */
/* One host */

async function hostView(v, ip, fresh) {
	loading(v, ip);
	let body;
	try {
		({ body } = await api('v1/host?host=' + encodeURIComponent(ip)));
	} catch (e) {
		if (!(e instanceof ApiError) || e.status !== 404)
			throw e;
		body = null;
	}
	if (!fresh())
		return;
	clear(v);
	v.append(h('p', { class: 'crumbs' }, h('a', { href: '#/' }, 'Map'),
		' › ', ip));
	if (!body) {
		v.append(heading(ip), h('p', {}, 'Nothing known of this address.'));
		focusHeading(v);
		return;
	}
	const hosts = body.hosts || [];
	const first = hosts[0] || {};
	v.append(heading(first.name ? `${ip} (${first.name})` : ip));
	const roles = hosts.flatMap(x => Array.isArray(x.roles) ? x.roles : []);
	const dl = h('dl', { class: 'facts' });
	const fact = (k, val) => dl.append(h('dt', {}, k), h('dd', {}, val));
	for (const x of hosts) {
		fact('sensor', x.sensor);
		fact('seen', `${fmtTime(x.first_seen)} – ${fmtTime(x.last_seen)}`);
		fact('traffic', `${fmtBytes(x.bytes)}, ${fmtNum(x.packets)} ` +
			`packets, ${fmtNum(x.flows)} flows`);
	}
	v.append(dl);
	if (roles.length) {
		v.append(h('h3', {}, 'Roles'));
		v.append(table([
			{ label: 'role', get: r => roleText(r) },
			{ label: 'confidence', get: r => r.confidence ?? '–' },
			{ label: 'evidence', get: r => Array.isArray(r.evidence) ?
				r.evidence.map(e => e && typeof e === 'object' ?
					e.item : e).join(', ') : r.evidence ?? '–' },
			{ label: 'since', get: r => fmtTime(r.since) }
		], roles));
	}
	const names = hosts.flatMap(x => x.names || []);
	v.append(h('h3', {}, 'Names'));
	if (names.length)
		v.append(table([
			{ label: 'name', get: r => r.name },
			{ label: 'kind', get: r => r.kind },
			{ label: 'source', get: r => r.source },
			{ label: 'first seen', get: r => fmtTime(r.first_seen) },
			{ label: 'last seen', get: r => fmtTime(r.last_seen) }
		], names));
	else
		v.append(h('p', {}, 'No name seen.'));
	v.append(h('h3', {}, 'Services'));
	v.append(table([
		{ label: 'service', get: r => h('a', { href: hashFor(
			['series', r.service], { host: ip }),
		title: 'traffic over time' }, r.service) },
		{ label: 'name', get: r => r.name },
		{ label: 'port', get: r => portText(r) },
		{ label: 'method', get: r => r.method },
		{ label: 'protocol', get: r => r.protocol ?? '–' },
		{ label: 'interface', get: r => r.interface ?? '–' },
		{ label: 'flows', num: true, get: r => fmtNum(r.flows) },
		{ label: 'packets', num: true, get: r => fmtNum(r.packets) },
		{ label: 'bytes', num: true, get: r => fmtBytes(r.bytes) },
		{ label: 'clients', num: true, get: r => fmtNum(r.clients) },
		{ label: 'first seen', get: r => fmtTime(r.first_seen) },
		{ label: 'last seen', get: r => fmtTime(r.last_seen) }
	], body.services || []));
	focusHeading(v);
}

/* ------------------------------------------------------------------ */
/* A service over time (SVG) */

function niceMax(v) {
	if (v <= 0)
		return 1;
	const p = Math.pow(10, Math.floor(Math.log10(v)));
	for (const m of [1, 2, 2.5, 5, 10])
		if (m * p >= v)
			return m * p;
	return 10 * p;
}

function chart(buckets, metric, res, label) {
	const W = 860, H = 280, L = 72, R = 16, T = 14, B = 44;
	const pw = W - L - R, ph = H - T - B;
	const fmt = metric === 'bytes' ? fmtBytes : fmtNum;
	const t0 = buckets[0].t, t1 = buckets[buckets.length - 1].t + res;
	const span = Math.max(res, t1 - t0);
	const ymax = niceMax(Math.max(...buckets.map(b => b[metric])));
	const x = t => L + (t - t0) / span * pw;
	const y = val => T + ph - val / ymax * ph;
	const svg = h('svg', { class: 'chart', viewBox: `0 0 ${W} ${H}`,
		role: 'img', 'aria-label': label });
	svg.append(h('title', {}, label));
	for (let i = 0; i <= 4; i++) {
		const val = ymax * i / 4;
		svg.append(h('line', { class: 'grid', x1: L, x2: W - R,
			y1: y(val), y2: y(val) }));
		svg.append(h('text', { class: 'ylab', x: L - 6, y: y(val) + 4,
			'text-anchor': 'end' }, fmt(val)));
	}
	const bw = Math.max(1, res / span * pw - (res / span * pw > 4 ? 1 : 0));
	for (const b of buckets) {
		const r = h('rect', { class: 'bar', x: x(b.t).toFixed(2),
			y: y(b[metric]).toFixed(2), width: bw.toFixed(2),
			height: Math.max(0, T + ph - y(b[metric])).toFixed(2) });
		r.append(h('title', {}, `${fmtTime(b.bucket)}: ${fmt(b[metric])}`));
		svg.append(r);
	}
	svg.append(h('line', { class: 'axis', x1: L, x2: W - R, y1: T + ph,
		y2: T + ph }));
	const ticks = buckets.length === 1 ? [t0] : [t0, t0 + span / 2, t1];
	ticks.forEach((t, i) => svg.append(h('text', { class: 'xlab',
		x: x(t), y: H - B + 18, 'text-anchor': i === 0 ? 'start' :
			i === ticks.length - 1 ? 'end' : 'middle' },
	new Date(t * 1000).toISOString().replace('T', ' ').slice(0, 16) +
		' UTC')));
	return svg;
}

async function seriesView(v, key, params, fresh) {
	const host = params.get('host') || '';
	const res = ['minute', 'hour', 'day'].includes(params.get('res')) ?
		params.get('res') : 'minute';
	const metric = METRICS.includes(params.get('metric')) ?
		params.get('metric') : 'bytes';
	loading(v, `the series of ${key}`);
	let q = 'v1/series?service=' + encodeURIComponent(key) +
		'&resolution=' + res;
	if (host)
		q += '&host=' + encodeURIComponent(host);
	if (key === 'undocumented')
		q += '&all=1';
	const { body } = await api(q);
	if (!fresh())
		return;
	const width = { minute: 60, hour: 3600, day: 86400 }[res];
	// Several sensors: one bar per bucket, their sum.
	const by = new Map();
	for (const r of body.rows || []) {
		const t = Date.parse(r.bucket) / 1000;
		const b = by.get(t) || { t, bucket: r.bucket, bytes: 0,
			packets: 0, flows: 0, clients: 0 };
		for (const m of METRICS)
			b[m] += r[m] || 0;
		by.set(t, b);
	}
	const buckets = [...by.values()].sort((a, b) => a.t - b.t);
	const go = change => {
		location.hash = hashFor(['series', key], Object.assign({
			host: host || null, res, metric }, change));
	};
	clear(v);
	v.append(h('p', { class: 'crumbs' }, h('a', { href: '#/' }, 'Map'),
		' › ', host ? hostLink(host) : 'every host', ' › ', key));
	v.append(heading(`${key} on ${host || 'every host'}: ${metric} ` +
		`per ${res}`));
	v.append(h('form', { class: 'controls', onsubmit: e =>
		e.preventDefault() },
	h('label', { for: 'res' }, 'Resolution '),
	h('select', { id: 'res', onchange: e => go({ res: e.target.value }) },
		['minute', 'hour', 'day'].map(r => h('option', { value: r,
			selected: r === res }, r))),
	h('label', { for: 'metric' }, ' Measure '),
	h('select', { id: 'metric', onchange: e =>
		go({ metric: e.target.value }) },
	METRICS.map(m => h('option', { value: m, selected: m === metric },
		m))),
	host ? [' ', h('a', { href: hashFor(['series', key], { res,
		metric }) }, 'every host')] : null,
	' ', h('a', { href: hashFor([], { service: key }) },
		'hosts serving it')));
	v.append(h('p', { class: 'summary' }, `Times relative to the ` +
		`${body.time_reference === 'wall_clock' ? 'wall clock' :
			'newest packet'} (${fmtTime(body.reference_time)}); ` +
		`${fmtNum(buckets.length)} buckets.`));
	if (!buckets.length) {
		v.append(h('p', {}, 'No stored traffic for this service.'));
		focusHeading(v);
		return;
	}
	v.append(h('figure', {}, chart(buckets, metric, width,
		`${metric} of ${key} per ${res}, ${buckets.length} buckets`)));
	v.append(h('details', {}, h('summary', {}, 'The numbers'),
		table([
			{ label: 'bucket', get: b => fmtTime(b.bucket) },
			...METRICS.map(m => ({ label: m, num: true, get: b =>
				m === 'bytes' ? fmtBytes(b[m]) : fmtNum(b[m]) }))
		], buckets)));
	focusHeading(v);
}

/* ------------------------------------------------------------------ */
/* Alerts */

async function alertsView(v, params, fresh) {
	const kind = ALERT_KINDS.includes(params.get('kind')) ?
		params.get('kind') : '';
	const sev = parseInt(params.get('sev') || '1', 10) || 1;
	const state = params.get('state') || '';
	const q = (params.get('q') || '').trim().toLowerCase();
	loading(v, 'the alerts');
	const rows = await apiAll('v1/alerts' + (kind ? '?kind=' +
		encodeURIComponent(kind) : ''));
	if (!fresh())
		return;
	const states = [...new Set(rows.map(r => r.state).filter(Boolean))]
		.sort();
	const shown = rows.filter(r => (r.severity ?? 5) >= sev &&
		(!state || r.state === state) && (!q || [r.server_ip,
		r.client_ip, r.service, r.protocol, r.detail, r.kind].some(
			s => s && String(s).toLowerCase().includes(q))));
	const go = change => {
		location.hash = hashFor(['alerts'], Object.assign({
			kind, sev: sev > 1 ? sev : null, state, q }, change));
	};
	clear(v);
	v.append(heading('Alerts'));
	const text = h('input', { type: 'search', id: 'aq',
		value: params.get('q') || '', placeholder: 'address, service, ' +
			'detail', autocomplete: 'off' });
	v.append(h('form', { class: 'controls', role: 'search',
		onsubmit: e => {
			e.preventDefault();
			go({ q: text.value.trim() });
		} },
	h('label', { for: 'kind' }, 'Kind '),
	h('select', { id: 'kind', onchange: e => go({ kind: e.target.value }) },
		h('option', { value: '' }, 'every kind'),
		ALERT_KINDS.map(k => h('option', { value: k, selected: k === kind },
			k))),
	h('label', { for: 'sev' }, ' Severity at least '),
	h('select', { id: 'sev', onchange: e => go({ sev: e.target.value }) },
		[1, 2, 3, 4, 5].map(s => h('option', { value: s,
			selected: s === sev }, `${s} ${['low', 'minor', 'medium',
			'high', 'critical'][s - 1]}`))),
	h('label', { for: 'state' }, ' State '),
	h('select', { id: 'state', onchange: e => go({ state: e.target.value }) },
		h('option', { value: '' }, 'any'),
		states.map(s => h('option', { value: s, selected: s === state }, s))),
	h('label', { for: 'aq' }, ' Text '), text,
	h('button', { type: 'submit' }, 'Filter')));
	v.append(h('p', { class: 'summary', 'aria-live': 'polite' },
		`${fmtNum(shown.length)} of ${fmtNum(rows.length)} alerts.`));
	v.append(table([
		{ label: 'id', num: true, get: r => r.id },
		{ label: 'severity', num: true, get: r => h('span', {
			class: `sev sev${r.severity}` }, r.severity) },
		{ label: 'kind', get: r => r.kind },
		{ label: 'state', get: r => r.state ?? '–' },
		{ label: 'server', get: r => [hostLink(r.server_ip), ' ',
			portText(r)] },
		{ label: 'client', get: r => hostLink(r.client_ip) },
		{ label: 'service', get: r => r.service ?? '–' },
		{ label: 'protocol', get: r => r.protocol ?? '–' },
		{ label: 'detail', get: r => r.detail },
		{ label: 'events', num: true, get: r => fmtNum(r.events ?? r.count) },
		{ label: 'first seen', get: r => fmtTime(r.first_seen) },
		{ label: 'last seen', get: r => fmtTime(r.last_seen) }
	], shown));
	focusHeading(v);
}

/* ------------------------------------------------------------------ */
/* Learned endpoints */

async function endpointsView(v, params, fresh) {
	const q = (params.get('q') || '').trim().toLowerCase();
	loading(v, 'the endpoints');
	const rows = await apiAll('v1/endpoints');
	if (!fresh())
		return;
	const shown = q ? rows.filter(r => [r.server_ip, r.uuid, r.interface,
		r.service, r.source, String(r.port)].some(s => s &&
		String(s).toLowerCase().includes(q))) : rows;
	clear(v);
	v.append(heading('RPC endpoints learned from EPM and DCOM replies'));
	const text = h('input', { type: 'search', id: 'eq',
		value: params.get('q') || '', autocomplete: 'off',
		placeholder: 'address, UUID, interface' });
	v.append(h('form', { class: 'controls', role: 'search',
		onsubmit: e => {
			e.preventDefault();
			location.hash = hashFor(['endpoints'], { q: text.value.trim() });
		} }, h('label', { for: 'eq' }, 'Filter '), text,
	h('button', { type: 'submit' }, 'Filter')));
	v.append(h('p', { class: 'summary', 'aria-live': 'polite' },
		`${fmtNum(shown.length)} of ${fmtNum(rows.length)} endpoints.`));
	v.append(table([
		{ label: 'server', get: r => hostLink(r.server_ip) },
		{ label: 'port', get: r => portText(r) },
		{ label: 'interface', get: r => r.interface ?? '–' },
		{ label: 'service', get: r => r.service ?? '–' },
		{ label: 'uuid', get: r => h('code', {}, `${r.uuid} v${r.version}`) },
		{ label: 'source', get: r => r.source },
		{ label: 'learned', get: r => fmtTime(r.learned_at) },
		{ label: 'last used', get: r => fmtTime(r.last_used) },
		{ label: 'flows', num: true, get: r => fmtNum(r.flows) },
		{ label: 'announcements', num: true, get: r =>
			fmtNum(r.announcements) }
	], shown));
	focusHeading(v);
}

/* ------------------------------------------------------------------ */
/* Totals */

function partition(title, obj, fmt) {
	const entries = Object.entries(obj || {});
	const total = entries.reduce((s, [, n]) => s + (n || 0), 0);
	const bar = h('div', { class: 'part', role: 'img', 'aria-label':
		`${title}: ` + entries.map(([k, n]) => `${k} ${fmt(n)}`).join(', ') });
	for (const [k, n] of entries) {
		if (!n)
			continue;
		const seg = h('span', { class: `seg seg-${k.replace(/[^a-z_]/g, '')}`,
			title: `${k}: ${fmt(n)}` });
		seg.style.flexGrow = String(n / (total || 1));
		bar.append(seg);
	}
	return h('section', { class: 'card' }, h('h3', {}, title), bar,
		h('ul', { class: 'legend' }, entries.map(([k, n]) => h('li', {},
			h('span', { class: `key seg-${k.replace(/[^a-z_]/g, '')}` }),
			`${k}: ${fmt(n)}`))));
}

async function totalsView(v, fresh) {
	loading(v, 'the totals');
	const [{ body: s }, top, status] = await Promise.all([
		api('v1/summary'),
		api('v1/top?of=services&by=bytes&limit=10&all=1').then(r => r.body),
		api('v1/status').then(r => r.body, e => {
			if (e instanceof ApiError && e.status === 503)
				return null;
			throw e;
		})
	]);
	if (!fresh())
		return;
	clear(v);
	v.append(heading('Run totals'));
	const dl = h('dl', { class: 'facts' });
	const fact = (k, val) => dl.append(h('dt', {}, k), h('dd', {}, val));
	fact('runs', fmtNum(s.runs));
	fact('packets', fmtNum(s.packets));
	fact('bytes', fmtBytes(s.bytes));
	fact('flows', fmtNum(s.flows));
	fact('first packet', fmtTime(s.first_packet));
	fact('last packet', fmtTime(s.last_packet));
	fact('last flush', fmtTime(s.last_flush));
	if (s.rpc)
		fact('DCE/RPC', `${fmtNum(s.rpc.pdus)} PDUs, ` +
			`${fmtNum(s.rpc.epm_replies)} EPM replies, ` +
			`${fmtNum(s.rpc.endpoints_learned)} endpoints learned`);
	v.append(dl);
	v.append(h('div', { class: 'cards' },
		partition('Packets by class', s.packets_by_class, fmtNum),
		partition('Bytes by class', s.bytes_by_class, fmtBytes),
		partition('Flows by class', s.flows_by_class, fmtNum)));
	if (Array.isArray(s.capture) && s.capture.length)
		v.append(table([
			{ label: 'interface', get: r => r.interface ?? r.iface },
			{ label: 'received', num: true, get: r => fmtNum(r.received) },
			{ label: 'dropped', num: true, get: r => fmtNum(r.dropped) },
			{ label: 'interface dropped', num: true, get: r =>
				fmtNum(r.if_dropped) }
		], s.capture, 'Capture'));
	v.append(h('h3', {}, 'Busiest services'));
	v.append(table([
		{ label: '#', num: true, get: r => r.rank },
		{ label: 'service', get: r => h('a', { href: hashFor(['series',
			r.service], {}) }, r.service) },
		{ label: 'name', get: r => r.name ?? '–' },
		{ label: 'bytes', num: true, get: r => fmtBytes(r.bytes) },
		{ label: 'flows', num: true, get: r => fmtNum(r.flows) },
		{ label: 'clients', num: true, get: r => fmtNum(r.clients) }
	], top.rows || []));
	v.append(h('h3', {}, 'The daemon'));
	if (!status)
		v.append(h('p', {}, 'No running daemon answers here: this is ' +
			'a database file served by svcmapctl serve.'));
	else {
		const d = h('dl', { class: 'facts' });
		const f = (k, val) => d.append(h('dt', {}, k), h('dd', {}, val));
		f('sensor', status.sensor);
		f('version', status.version);
		f('started', fmtTime(status.started_at));
		f('state', status.status === 'degraded' ? 'degraded' :
			'capturing');
		f('database', `${status.db_path} (${fmtBytes(status.db_bytes)}` +
			`, last write ${status.db_ok ? 'ok' : 'FAILED'})`);
		for (const i of status.interfaces || [])
			f(`interface ${i.name}`, `${i.up ? 'up' : 'lost'}, ` +
				`${fmtNum(i.received)} received, ` +
				`${fmtNum(i.dropped)} dropped`);
		v.append(d);
	}
	focusHeading(v);
}

/* ------------------------------------------------------------------ */
/* The header line: what is served */

async function runLine() {
	const el = document.getElementById('run');
	try {
		const { body: s } = await api('v1/summary');
		el.textContent = `${fmtNum(s.runs)} run` +
			`${s.runs === 1 ? '' : 's'}, ${fmtNum(s.packets)} ` +
			`packets, last ${fmtTime(s.last_packet)}`;
	} catch (e) {
		el.textContent = '';
	}
}

window.addEventListener('hashchange', route);
document.addEventListener('keydown', e => {
	if (e.key === 'Escape')
		hideTip();
});
runLine();
route();
