// <hot-reload-widget>: hotmod's dashboard, the blueprint's monitoring widget
// grown up. It draws everything from the API once, then follows /events:
// every runtime event updates what it touches. It never polls.
//
// Every text it shows goes in as a text node: ids, paths, errors and
// console output can never become markup.

const TOKEN_KEY = 'hotmod.token';
const MAX_LOG = 200;

// el builds an element; strings among the children become text nodes.
function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith('on')) node.addEventListener(k.slice(2), v);
    else node.setAttribute(k, v === true ? '' : String(v));
  }
  for (const c of children.flat()) {
    if (c === null || c === undefined || c === false) continue;
    node.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return node;
}

function ms(ns) {
  return (ns / 1e6).toFixed(3);
}

class HotReloadWidget extends HTMLElement {
  constructor() {
    super();
    this.attachShadow({ mode: 'open' });
    this.modules = new Map(); // id -> module detail from the API
    this.profiles = new Map(); // module id -> latest profile metrics
    this.stats = { totalModules: 0, totalReloads: 0, modules: [] };
    this.log = [];
    this.lastActivity = null;
    this.lastError = null;
    this.lastEventId = '';
    this.connected = false;
    this.token = sessionStorage.getItem(TOKEN_KEY) || '';
    this.base = '';
  }

  connectedCallback() {
    if (!this.view) {
      this.view = el('div', { class: 'hot-reload-panel' });
      this.shadowRoot.append(el('link', { rel: 'stylesheet', href: 'widget.css' }), this.view);
    }
    this.render();
    this.refreshAll().finally(() => this.follow());
  }

  disconnectedCallback() {
    this.stopped = true;
    this.abort?.abort();
  }

  // The blueprint's hook for another API location (same origin only).
  set moduleApi(base) {
    this.base = String(base || '').replace(/\/$/, '');
    this.refreshAll();
  }

  getStatus() {
    const n = this.stats.totalModules;
    return {
      state: n > 0 ? 'active' : 'idle',
      primaryMetric: `${n} modules`,
      secondaryMetric: `${this.stats.totalReloads} reloads`,
      lastActivity: this.lastActivity,
      message: this.lastError,
    };
  }

  headers(json) {
    const h = {};
    if (this.token) h.Authorization = 'Bearer ' + this.token;
    if (json) h['Content-Type'] = 'application/json';
    return h;
  }

  async api(method, path, body) {
    const res = await fetch(this.base + path, {
      method,
      headers: this.headers(method !== 'GET'),
      body: method === 'GET' ? undefined : JSON.stringify(body ?? {}),
    });
    const text = await res.text();
    const data = text ? JSON.parse(text) : null;
    if (!res.ok) {
      const e = data?.error || { message: res.statusText };
      const where = e.position ? ` (${e.position.file}:${e.position.line}:${e.position.column})` : '';
      throw new Error(e.message + where);
    }
    return data;
  }

  async refreshAll() {
    try {
      const [mods, stats] = await Promise.all([this.api('GET', '/api/modules'), this.api('GET', '/api/stats')]);
      this.modules = new Map(mods.modules.map((m) => [m.id, m]));
      this.stats = stats;
      this.needLogin = false;
    } catch (e) {
      this.needLogin = /unauthorized|Bearer/.test(e.message);
      this.note('error', e.message);
    }
    this.render();
  }

  async refreshModule(id) {
    try {
      const m = await this.api('GET', '/api/modules/' + encodeURIComponent(id));
      this.modules.set(id, m);
      // A profile started elsewhere (the CLI, the API) shows here too.
      const known = this.profiles.get(id);
      const running = m.profiles || [];
      if (running.length && !(known?.running && running.includes(known.id))) {
        this.profiles.set(id, await this.api('GET', '/api/profiles/' + encodeURIComponent(running[0])));
      } else if (!running.length && known?.running) {
        this.profiles.set(id, { ...known, running: false });
      }
    } catch {
      this.modules.delete(id);
    }
    try {
      this.stats = await this.api('GET', '/api/stats');
    } catch {}
    this.render();
  }

  // follow reads /events with fetch (so the token goes in a header, never
  // in a URL) and reconnects by itself, resuming from the last event id.
  async follow() {
    let delay = 500;
    while (!this.stopped) {
      this.abort = new AbortController();
      try {
        const headers = this.headers(false);
        if (this.lastEventId) headers['Last-Event-ID'] = this.lastEventId;
        const res = await fetch(this.base + '/events', { headers, signal: this.abort.signal });
        if (!res.ok) throw new Error('events: ' + res.status);
        const wasDown = !this.connected && this.everConnected;
        this.connected = this.everConnected = true;
        delay = 500;
        this.render();
        if (wasDown) this.refreshAll(); // the server came back
        await this.readStream(res.body.getReader());
      } catch (e) {
        if (this.stopped) return;
      }
      this.connected = false;
      this.render();
      await new Promise((r) => setTimeout(r, delay));
      delay = Math.min(delay * 2, 5000);
    }
  }

  async readStream(reader) {
    const decoder = new TextDecoder();
    let buf = '';
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return;
      buf += decoder.decode(value, { stream: true });
      let cut;
      while ((cut = buf.indexOf('\n\n')) >= 0) {
        const block = buf.slice(0, cut);
        buf = buf.slice(cut + 2);
        let id = '', type = 'message', data = '';
        for (const line of block.split('\n')) {
          if (line.startsWith('id: ')) id = line.slice(4);
          else if (line.startsWith('event: ')) type = line.slice(7);
          else if (line.startsWith('data: ')) data += line.slice(6);
        }
        if (id) this.lastEventId = id;
        if (data) this.onEvent(type, JSON.parse(data));
      }
    }
  }

  onEvent(type, ev) {
    if (type === 'reset') {
      this.refreshAll();
      return;
    }
    this.lastActivity = ev.time;
    if (type === 'reload-failed') this.lastError = ev.error;
    else if (type === 'reloaded' || type === 'rolled-back') this.lastError = null;
    this.log.unshift(ev);
    this.log.length = Math.min(this.log.length, MAX_LOG);
    if (type === 'cleanup') {
      this.profiles.clear();
      this.refreshAll();
    } else if (ev.module) {
      this.refreshModule(ev.module);
    } else {
      this.render();
    }
  }

  note(level, text) {
    this.log.unshift({ type: level, error: text, time: new Date().toISOString() });
    this.log.length = Math.min(this.log.length, MAX_LOG);
    if (level === 'error') this.lastError = text;
    this.render();
  }

  async act(what, fn) {
    try {
      await fn();
    } catch (e) {
      this.note('error', `${what}: ${e.message}`);
    }
  }

  moduleURL(id, rest = '') {
    return '/api/modules/' + encodeURIComponent(id) + rest;
  }

  reload(id) {
    return this.act('reload ' + id, () => this.api('POST', this.moduleURL(id, '/reload')));
  }

  rollback(id, version) {
    return this.act('rollback ' + id, () => this.api('POST', this.moduleURL(id, '/rollback'), { version: Number(version) }));
  }

  unpatch(id) {
    return this.act('unpatch ' + id, () => this.api('DELETE', '/api/patches/' + encodeURIComponent(id)));
  }

  async profile(id) {
    const running = this.profiles.get(id);
    await this.act('profile ' + id, async () => {
      if (running?.running) {
        this.profiles.set(id, await this.api('DELETE', '/api/profiles/' + encodeURIComponent(running.id)));
      } else {
        this.profiles.set(id, await this.api('POST', this.moduleURL(id, '/profiles')));
      }
    });
    this.render();
  }

  async refreshProfile(id) {
    const p = this.profiles.get(id);
    if (!p) return;
    await this.act('profile ' + id, async () => {
      this.profiles.set(id, await this.api('GET', '/api/profiles/' + encodeURIComponent(p.id)));
    });
    this.render();
  }

  cleanup() {
    if (!confirm('Dispose every module and clear all registries?')) return;
    this.act('cleanup', () => this.api('POST', '/api/cleanup'));
  }

  login(token) {
    this.token = token;
    sessionStorage.setItem(TOKEN_KEY, token);
    this.abort?.abort(); // reconnect the event stream with the token
    this.refreshAll();
  }

  render() {
    if (!this.view) return;
    const mods = [...this.modules.values()].sort((a, b) => a.id.localeCompare(b.id));
    const failed = mods.reduce((s, m) => s + (m.failedReloads || 0), 0);
    const rolledBack = mods.reduce((s, m) => s + (m.rollbacks || 0), 0);
    const tokenInput = el('input', { type: 'password', placeholder: 'access token', 'aria-label': 'access token', class: 'token' });
    const status = this.getStatus();
    this.view.setAttribute('data-state', status.state);
    this.view.replaceChildren(
      el('div', {},
        el('div', { class: 'top' },
          el('h3', {}, '☄ Hot Reload'),
          el('span', { class: 'conn' + (this.connected ? ' live' : '') }, this.connected ? 'live' : 'reconnecting…'),
          el('span', { class: 'spacer' }),
          el('form', { class: 'login', onsubmit: (e) => { e.preventDefault(); this.login(tokenInput.value); } },
            tokenInput, el('button', { type: 'submit' }, this.token ? 'Change token' : 'Log in')),
          el('button', { class: 'cleanup danger', onclick: () => this.cleanup() }, 'Cleanup')),
        el('div', { class: 'stats-grid' },
          el('div', { class: 'stat-card modules' }, el('div', { class: 'stat-label' }, 'Active Modules'), el('div', { class: 'stat-value modules' }, this.stats.totalModules)),
          el('div', { class: 'stat-card reloads' }, el('div', { class: 'stat-label' }, 'Total Reloads'), el('div', { class: 'stat-value reloads' }, this.stats.totalReloads)),
          el('div', { class: 'stat-card rate' }, el('div', { class: 'stat-label' }, 'Rolled back / Failed'), el('div', { class: 'stat-value rate' }, `${rolledBack} / ${failed}`))),
        status.message ? el('div', { class: 'error last-error' }, status.message) : null,
        el('h4', {}, `Active Modules (${mods.length})`),
        el('div', { class: 'module-list' }, mods.length ? mods.map((m) => this.renderModule(m)) : el('div', { class: 'empty' }, 'No modules loaded.')),
        el('h4', {}, 'Events'),
        el('div', { class: 'event-log' }, this.log.length ? this.log.map((ev) => el('div', { class: ev.type },
          `${new Date(ev.time).toLocaleTimeString()} ${ev.type}${ev.module ? ' ' + ev.module : ''}${ev.version ? ' v' + ev.version : ''}${ev.error ? ' — ' + ev.error : ''}`)) : el('div', { class: 'empty' }, 'No events yet.')),
      ),
    );
  }

  renderModule(m) {
    const older = (m.keptVersions || []).filter((v) => v !== m.version);
    const select = el('select', { class: 'rollback-version', 'aria-label': 'version to roll back to' },
      older.slice().reverse().map((v) => el('option', { value: v }, 'v' + v)));
    const prof = this.profiles.get(m.id);
    return el('div', { class: 'module-item' + (m.lastError ? ' failed' : ''), 'data-module-id': m.id },
      el('div', { class: 'module-header' },
        el('span', { class: 'module-id' }, m.id),
        el('span', { class: 'module-version' }, m.state === 'failed' ? 'failed to load' : 'v' + m.version),
        m.kind ? el('span', { class: 'module-kind' }, m.kind) : null,
        m.sourceDeleted ? el('span', { class: 'module-kind' }, 'source deleted') : null),
      el('div', { class: 'module-path' }, m.sourcePath),
      el('div', { class: 'exports' }, 'exports: ' + (m.exports.length ? m.exports.join(', ') : '(none)')),
      el('div', { class: 'actions' },
        el('button', { class: 'reload', onclick: () => this.reload(m.id) }, 'Reload'),
        older.length ? [select, el('button', { class: 'rollback', onclick: () => this.rollback(m.id, select.value) }, 'Roll back')] : null,
        el('button', { class: 'profile', onclick: () => this.profile(m.id) }, prof?.running ? 'Stop profiling' : 'Profile'),
        prof?.running ? el('button', { class: 'profile-refresh', onclick: () => this.refreshProfile(m.id) }, 'Refresh figures') : null),
      m.lastError ? el('div', { class: 'error module-error' },
        m.lastErrorPosition ? `${m.lastErrorPosition.file}:${m.lastErrorPosition.line}:${m.lastErrorPosition.column}\n` : '', m.lastError) : null,
      (m.patches || []).length ? el('div', { class: 'patches' }, el('table', {},
        el('tr', {}, el('th', {}, 'patch'), el('th', {}, 'function'), el('th', {}, 'since'), el('th', {}, '')),
        m.patches.map((p) => el('tr', { 'data-patch-id': p.id },
          el('td', {}, p.id), el('td', {}, p.function), el('td', {}, new Date(p.created).toLocaleTimeString()),
          el('td', {}, el('button', { class: 'unpatch', onclick: () => this.unpatch(p.id) }, 'Unpatch')))))) : null,
      prof ? el('div', { class: 'profile' },
        el('div', {}, `profile ${prof.id} — ${prof.running ? 'running' : 'stopped'}, ${prof.totalCalls} calls, ${prof.totalErrors} errors, versions ${(prof.versions || []).join(', ')}`),
        (prof.functions || []).length ? el('table', {},
          el('tr', {}, ['function', 'calls', 'errors', 'mean ms', 'p50 ms', 'p99 ms', 'max ms'].map((h) => el('th', {}, h))),
          prof.functions.map((f) => el('tr', {}, el('td', {}, f.name), el('td', {}, f.calls), el('td', {}, f.errors),
            el('td', {}, ms(f.mean)), el('td', {}, ms(f.p50)), el('td', {}, ms(f.p99)), el('td', {}, ms(f.max))))) : null) : null,
    );
  }
}

if (!customElements.get('hot-reload-widget')) {
  customElements.define('hot-reload-widget', HotReloadWidget);
}

export const widget = { element: 'hot-reload-widget', displayName: 'Hot Reload', icon: '☄', category: 'core' };
