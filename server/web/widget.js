// <hot-reload-widget>: hotmod's dashboard, the blueprint's monitoring widget
// grown up. It draws everything from the API once, then follows /events:
// every runtime event updates what it touches, and "stats" events feed the
// sparklines and profile tables. It never polls.
//
// Every text it shows goes in as a text node: ids, paths, sources, errors
// and results can never become markup.
//
// Rendering is keyed: each module has one card, built once and changed in
// place, so an update of one module leaves the other cards, and anything a
// user is typing, alone.

const TOKEN_KEY = 'hotmod.token';
const MAX_LOG = 200;
const SPARK_POINTS = 60;
// Events that arrive within this many milliseconds make one request per
// module: a burst of saves or patches is one fetch, not one per event.
const COALESCE_MS = 25;
// Past this many cells the LCS table is too big for a page; the diff then
// shows the changed region as removed and added whole.
const MAX_DIFF_CELLS = 4e6;
const DIFF_CONTEXT = 3;
// Events that change what GET /api/modules/{id} says.
const FLEET_SETTLE_MS = 400; // the other nodes report a change within a few hundred ms
const MODULE_EVENTS = new Set(['created', 'reloaded', 'reload-failed', 'rolled-back', 'removed', 'source-changed',
  'source-deleted', 'delete-refused', 'recovered', 'patched', 'unpatched', 'patch-dropped', 'profile-started', 'profile-stopped',
  'probation-started', 'probation-passed', 'auto-rolled-back', 'canary-started', 'canary-promoted', 'canary-aborted']);

// el builds an element; strings among the children become text nodes.
function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith('on')) node.addEventListener(k.slice(2), v);
    else node.setAttribute(k, v === true ? '' : String(v));
  }
  return fill(node, ...children);
}

// fill replaces a node's children as el sets them: lists flattened, null
// and false left out, strings as text nodes.
function fill(node, ...children) {
  node.replaceChildren(...children.flat().filter((c) => c !== null && c !== undefined && c !== false)
    .map((c) => (c instanceof Node ? c : document.createTextNode(String(c)))));
  return node;
}

const SVG_NS = 'http://www.w3.org/2000/svg';
function svgEl(tag, attrs = {}) {
  const node = document.createElementNS(SVG_NS, tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, String(v));
  return node;
}

// setText changes a node's text only when it differs, so that an update
// that changes nothing does not touch the DOM.
function setText(node, text) {
  text = String(text ?? '');
  if (node.textContent !== text) node.textContent = text;
}

// show works for SVG too, which has no hidden property.
function show(node, visible) {
  node.toggleAttribute('hidden', !visible);
}

function fmtMs(x) {
  if (x === undefined || x === null) return '';
  if (x >= 100) return x.toFixed(0);
  if (x >= 10) return x.toFixed(1);
  return x.toFixed(x >= 1 ? 2 : 3);
}

function where(p) {
  return p ? `${p.file}:${p.line}:${p.column}` : '';
}

function time(t) {
  return t ? new Date(t).toLocaleTimeString() : '';
}

function bytes(n) {
  return n < 1024 ? `${n} B` : `${(n / 1024).toFixed(1)} KiB`;
}

// ApiError is an error answer: its status is what the dashboard acts on
// (401 asks for a token), its code and position what it shows.
class ApiError extends Error {
  constructor(status, body) {
    super(body?.message || `HTTP ${status}`);
    this.status = status;
    this.code = body?.code || '';
    this.position = body?.position || null;
  }

  describe() {
    const at = where(this.position);
    return (this.code ? this.code + ': ' : '') + this.message + (at && !this.message.includes(at) ? ` (${at})` : '');
  }
}

// lineDiff compares two texts line by line (longest common subsequence)
// and returns [{op: ' ' | '-' | '+', text}] turning a into b.
export function lineDiff(a, b) {
  const A = a.split('\n'), B = b.split('\n');
  let pre = 0;
  while (pre < A.length && pre < B.length && A[pre] === B[pre]) pre++;
  let suf = 0;
  while (suf < A.length - pre && suf < B.length - pre && A[A.length - 1 - suf] === B[B.length - 1 - suf]) suf++;
  const x = A.slice(pre, A.length - suf), y = B.slice(pre, B.length - suf);
  const out = A.slice(0, pre).map((text) => ({ op: ' ', text }));
  const n = x.length, m = y.length;
  if (n * m > MAX_DIFF_CELLS) {
    for (const text of x) out.push({ op: '-', text });
    for (const text of y) out.push({ op: '+', text });
  } else {
    // lcs[i*w+j] is the LCS length of x[i:] and y[j:].
    const w = m + 1;
    const lcs = new Uint32Array((n + 1) * w);
    for (let i = n - 1; i >= 0; i--) {
      for (let j = m - 1; j >= 0; j--) {
        lcs[i * w + j] = x[i] === y[j] ? lcs[(i + 1) * w + j + 1] + 1 : Math.max(lcs[(i + 1) * w + j], lcs[i * w + j + 1]);
      }
    }
    let i = 0, j = 0;
    while (i < n && j < m) {
      if (x[i] === y[j]) {
        out.push({ op: ' ', text: x[i] });
        i++, j++;
      } else if (lcs[(i + 1) * w + j] >= lcs[i * w + j + 1]) {
        out.push({ op: '-', text: x[i++] });
      } else {
        out.push({ op: '+', text: y[j++] });
      }
    }
    while (i < n) out.push({ op: '-', text: x[i++] });
    while (j < m) out.push({ op: '+', text: y[j++] });
  }
  for (const text of A.slice(A.length - suf)) out.push({ op: ' ', text });
  return out;
}

// foldDiff keeps DIFF_CONTEXT unchanged lines around each change and
// replaces longer unchanged runs by one {op: '…', count} line.
function foldDiff(lines) {
  const keep = lines.map(() => false);
  lines.forEach((l, i) => {
    if (l.op === ' ') return;
    for (let k = Math.max(0, i - DIFF_CONTEXT); k <= Math.min(lines.length - 1, i + DIFF_CONTEXT); k++) keep[k] = true;
  });
  const out = [];
  for (let i = 0; i < lines.length;) {
    if (keep[i]) {
      out.push(lines[i++]);
      continue;
    }
    let j = i;
    while (j < lines.length && !keep[j]) j++;
    out.push({ op: '…', count: j - i });
    i = j;
  }
  return out;
}

// filePath is a store path as the files API takes it, each name escaped.
function fileURL(path) {
  return '/api/files' + path.split('/').map(encodeURIComponent).join('/');
}

// ModuleCard is one module's part of the dashboard. It is built once and
// changed in place by update(); every part is redrawn only when what it
// shows changed.
class ModuleCard {
  constructor(w, id) {
    this.w = w;
    this.id = id;
    this.m = null;
    this.keys = {};
    this.source = null; // the store's current text, once loaded
    // The serving version's text, {version, text}, when the store holds
    // another (a rollback, a failed reload): what runs is what the panel
    // shows first.
    this.serving = null;
    this.sourceChoice = null; // 'serving' | 'store' once the user picks
    this.sourceLoad = { inflight: false, again: false };
    this.editing = false;
    this.forms = new Map(); // function name -> its call form

    this.idNode = el('span', { class: 'module-id' }, id);
    this.versionNode = el('span', { class: 'module-version' });
    this.kindNode = el('span', { class: 'module-kind' });
    this.stateNode = el('span', { class: 'module-state' });
    this.spark = svgEl('svg', { class: 'spark', width: 150, height: 28, viewBox: '0 0 150 28', 'aria-hidden': 'true' });
    this.sparkText = el('span', { class: 'spark-text' });
    this.pathNode = el('div', { class: 'module-path' });
    // The serving version's calls since it was loaded: what a canary's
    // bar compares with, shown for every version that serves.
    this.figsNode = el('div', { class: 'version-figs' });
    show(this.figsNode, false);

    this.reloadBtn = el('button', { class: 'reload', type: 'button', onclick: () => this.w.reload(this.id) }, 'Reload');
    this.profileBtn = el('button', { class: 'profile-toggle', type: 'button', onclick: () => this.w.toggleProfile(this.id) }, 'Profile');
    this.rollbackSelect = el('select', { class: 'rollback-version', 'aria-label': 'version to roll back to' });
    this.rollbackBtn = el('button', { class: 'rollback', type: 'button', onclick: () => this.w.rollback(this.id, this.rollbackSelect.value) }, 'Roll back');
    this.rollbackBox = el('span', { class: 'rollback-box' }, this.rollbackSelect, this.rollbackBtn);

    this.errorPos = el('div', { class: 'error-pos' });
    this.errorMsg = el('div', { class: 'error-msg' });
    this.errorBox = el('div', { class: 'error module-error', role: 'alert' }, this.errorPos, this.errorMsg);
    this.patchesBox = el('div', { class: 'patches' });
    // Health-gated rollback: the probation running, and why the module
    // last rolled back by itself.
    this.probationBox = el('div', { class: 'probation', role: 'status' });
    this.autoRollbackBox = el('div', { class: 'auto-rollback' });
    // A/B: the canary's share of keyed calls, promote and abort.
    this.canaryText = el('span', { class: 'canary-text' });
    // Both versions' calls side by side, so the canary can be judged.
    this.canaryFigs = el('span', { class: 'canary-figures' });
    this.canaryBox = el('div', { class: 'canary', role: 'status' }, this.canaryText, this.canaryFigs, el('span', { class: 'spacer' }),
      el('button', { class: 'promote', type: 'button', onclick: () => this.w.promote(this.id) }, 'Promote'),
      el('button', { class: 'abort', type: 'button', onclick: () => this.w.abortCanary(this.id) }, 'Abort'));

    // Source: the store's text, the failing line marked; Edit turns it
    // into a textarea whose Save writes the store (and so reloads).
    this.sourceWhere = el('span', { class: 'source-where' });
    this.editBtn = el('button', { class: 'edit', type: 'button', onclick: () => this.startEdit() }, 'Edit');
    this.saveBtn = el('button', { class: 'save', type: 'submit' }, 'Save');
    this.cancelBtn = el('button', { class: 'cancel', type: 'button', onclick: () => this.stopEdit() }, 'Cancel');
    this.saveStatus = el('span', { class: 'save-status', role: 'status' });
    this.sourceView = el('div', { class: 'source-view', role: 'region', 'aria-label': 'source of ' + id });
    this.sourceNoteText = el('span', {});
    this.sourceSwitch = el('button', { class: 'source-switch', type: 'button', onclick: () => {
      this.sourceChoice = this.sourceShown === 'serving' ? 'store' : 'serving';
      this.drawSource();
    } });
    this.sourceNote = el('div', { class: 'source-note', role: 'status' }, this.sourceNoteText, this.sourceSwitch);
    this.editor = el('textarea', { class: 'source-edit', spellcheck: 'false', 'aria-label': 'edit the source of ' + id });
    this.editor.addEventListener('keydown', (e) => {
      if ((e.ctrlKey || e.metaKey) && e.key === 's') {
        e.preventDefault();
        this.save();
      }
    });
    this.editForm = el('form', { class: 'edit-form', onsubmit: (e) => { e.preventDefault(); this.save(); } },
      this.editor, el('div', { class: 'edit-actions' }, this.saveBtn, this.cancelBtn, this.saveStatus));
    this.sourceSection = el('details', { class: 'section source-section' },
      el('summary', {}, 'Source'),
      el('div', { class: 'source-toolbar' }, this.sourceWhere, el('span', { class: 'spacer' }), this.editBtn),
      this.sourceNote, this.sourceView, this.editForm);
    this.sourceSection.addEventListener('toggle', () => {
      if (this.sourceSection.open && !this.sourceLoad.inflight) this.loadSource();
    });
    show(this.editForm, false);

    this.versionsHead = el('summary', {}, 'Versions');
    this.versionsTable = el('table', { class: 'versions' });
    this.diffBox = el('div', { class: 'diff-box' });
    this.versionsSection = el('details', { class: 'section versions-section' }, this.versionsHead, this.versionsTable, this.diffBox);

    this.callForms = el('div', { class: 'call-forms' });
    this.callSection = el('details', { class: 'section call-section', open: true }, el('summary', {}, 'Call'), this.callForms);

    this.profileHead = el('div', { class: 'profile-head' });
    this.profileTable = el('table', { class: 'profile-table' });
    this.profileBox = el('div', { class: 'profile-box' }, this.profileHead, this.profileTable);

    this.root = el('div', { class: 'module-item', 'data-module-id': id },
      el('div', { class: 'module-header' }, this.idNode, this.versionNode, this.kindNode, this.stateNode,
        el('span', { class: 'spacer' }), this.spark, this.sparkText),
      this.pathNode, this.figsNode,
      el('div', { class: 'actions' }, this.reloadBtn, this.profileBtn, this.rollbackBox),
      this.errorBox, this.canaryBox, this.probationBox, this.autoRollbackBox, this.patchesBox, this.profileBox,
      this.sourceSection, this.versionsSection, this.callSection);
  }

  // part runs draw when key differs from the last one drawn for name.
  part(name, key, draw) {
    if (this.keys[name] === key) return;
    this.keys[name] = key;
    draw();
  }

  update(m) {
    const prev = this.m;
    this.m = m;
    const failed = m.state === 'failed';
    this.root.classList.toggle('failed', failed);
    this.root.classList.toggle('erring', !!m.lastError && !failed);
    setText(this.versionNode, failed ? 'failed to load' : m.state === 'loading' && !m.version ? 'loading…' : 'v' + m.version);
    setText(this.kindNode, m.kind || '');
    setText(this.stateNode, [m.state !== 'serving' && !failed && m.version ? m.state : '', m.sourceDeleted ? 'source deleted' : '',
      m.storeNewer && !m.sourceDeleted ? 'the store holds a newer source, not serving' : ''].filter(Boolean).join(' · '));
    setText(this.pathNode, m.sourcePath);

    const older = (m.keptVersions || []).filter((v) => v < m.version).sort((a, b) => b - a);
    // A choice made among other versions is dropped when they change: kept,
    // it would roll back past a version that just arrived.
    this.part('rollback', m.version + ':' + older.join(','), () => {
      this.rollbackSelect.replaceChildren(...older.map((v) => el('option', { value: v }, 'v' + v)));
      show(this.rollbackBox, older.length > 0);
    });
    this.reloadBtn.disabled = failed;
    this.profileBtn.disabled = failed;
    this.updateProfile();

    this.part('error', JSON.stringify([m.lastError, m.lastErrorPosition]), () => {
      show(this.errorBox, !!m.lastError);
      setText(this.errorPos, m.lastErrorPosition ? where(m.lastErrorPosition) : '');
      setText(this.errorMsg, m.lastError || '');
    });
    this.part('probation', JSON.stringify([m.probation, m.lastAutoRollback]), () => this.drawProbation());
    this.part('canary', JSON.stringify([m.canary, m.version]), () => this.drawCanary());
    this.drawFigures((m.versions || []).find((v) => v.serving));
    this.part('patches', JSON.stringify(m.patches || []), () => this.drawPatches());
    this.part('versions', JSON.stringify([m.version, m.versions]), () => this.drawVersions());
    this.part('functions', JSON.stringify(m.functions || []), () => this.drawCallForms());
    show(this.callSection, (m.functions || []).length > 0);

    // A module that fails shows where; the user may close it again.
    if (m.lastError && !(prev && prev.lastError)) this.sourceSection.open = true;
    if (this.sourceSection.open) this.loadSource();
    else this.drawSource();
  }

  drawCanary() {
    const c = this.m.canary;
    show(this.canaryBox, !!c);
    if (!c) return;
    setText(this.canaryText, `v${c.version} canary: ${c.percent}% of keyed calls, v${this.m.version} the rest`);
    // Each version's calls, errors and p99 since it was loaded.
    const fig = (role, f) => el('span', { class: 'canary-fig fig-' + role, 'data-version': String(f.version) },
      `v${f.version} ${role}: ${f.calls} calls, ${f.errors} ${f.errors === 1 ? 'error' : 'errors'}` + (f.calls ? `, p99 ${fmtMs(f.p99Ms)} ms` : ''));
    const serving = c.serving || { version: this.m.version, calls: 0, errors: 0 };
    this.canaryFigs.replaceChildren(fig('canary', c), fig('serving', serving));
  }

  // drawFigures shows the serving version's figures (a VersionInfo), from
  // the module's detail or from a stats event.
  drawFigures(v) {
    const n = v ? v.calls + (v.moduleCalls || 0) : 0;
    show(this.figsNode, n > 0);
    if (!n) return;
    const bits = [`v${v.version}: ${v.calls} ${v.calls === 1 ? 'call' : 'calls'}, ${v.errors} ${v.errors === 1 ? 'error' : 'errors'}` +
      (v.calls ? `, p99 ${fmtMs(v.p99Ms)} ms` : '')];
    if (v.moduleCalls) bits.push(`${v.moduleCalls} from other modules`);
    setText(this.figsNode, bits.join(' · ') + ' since it was loaded');
    this.figsNode.setAttribute('data-version', String(v.version));
  }

  drawProbation() {
    const p = this.m.probation;
    show(this.probationBox, !!p);
    if (p) {
      const bits = [`v${p.version} on probation`, `${p.calls}${p.targetCalls ? '/' + p.targetCalls : ''} calls`, `${p.errors} errors`];
      if (p.calls) bits.push(`p99 ${fmtMs(p.p99Ms)} ms`);
      if (p.until) bits.push('until ' + time(p.until));
      bits.push(`rolls back to v${p.previous} if it regresses`);
      setText(this.probationBox, bits.join(' · '));
    }
    show(this.autoRollbackBox, !!this.m.lastAutoRollback);
    setText(this.autoRollbackBox, this.m.lastAutoRollback ? 'rolled back by itself: ' + this.m.lastAutoRollback : '');
  }

  drawPatches() {
    const patches = this.m.patches || [];
    show(this.patchesBox, patches.length > 0);
    this.patchesBox.replaceChildren(patches.length ? el('table', {},
      el('tr', {}, el('th', {}, 'patch'), el('th', {}, 'function'), el('th', {}, 'since'), el('th', {}, '')),
      patches.map((p) => el('tr', { 'data-patch-id': p.id },
        el('td', {}, p.id), el('td', {}, p.function), el('td', {}, time(p.created)),
        el('td', {}, el('button', { class: 'unpatch', type: 'button', onclick: () => this.w.unpatch(p.id) }, 'Unpatch'))))) : '');
  }

  // loadSource reads the store's text of the module; a load asked for
  // while one runs makes one more after it, so the last answer is the
  // newest.
  async loadSource() {
    const st = this.sourceLoad;
    if (st.inflight) {
      st.again = true;
      return;
    }
    st.inflight = true;
    try {
      do {
        st.again = false;
        const m = this.m;
        try {
          this.source = await this.w.request('GET', fileURL(m.sourcePath), { text: true });
          this.sourceError = null;
        } catch (e) {
          this.source = null;
          this.sourceError = e.status === 404 ? 'the store has no file at ' + m.sourcePath : e.describe?.() || e.message;
        }
        if (m.storeNewer && m.version) {
          if (this.serving?.version !== m.version) {
            try {
              const v = await this.w.request('GET', this.w.moduleURL(this.id, '/versions/' + m.version));
              this.serving = { version: m.version, text: v.source };
            } catch {
              this.serving = null; // no longer kept: the store's text is all there is
            }
          }
        } else {
          this.serving = null;
        }
      } while (st.again);
    } finally {
      st.inflight = false;
    }
    this.drawSource();
  }

  // drawSource shows what serves. When the store holds another source (a
  // rollback, a reload that failed) it says so, shows the serving
  // version's text first (the store's if the failing line is there), and
  // lets the user switch.
  drawSource() {
    const m = this.m;
    const pos = m.lastErrorPosition;
    const serving = m.storeNewer && this.serving?.version === m.version ? this.serving : null;
    if (!m.storeNewer) this.sourceChoice = null;
    const failingInStore = !!(m.lastError && pos && pos.file === m.sourcePath);
    const shown = serving ? this.sourceChoice || (failingInStore ? 'store' : 'serving') : 'store';
    this.sourceShown = shown;
    const text = shown === 'serving' ? serving.text : this.source;
    const failing = shown === 'store' && pos && pos.file === m.sourcePath ? pos.line : 0;
    show(this.sourceNote, !!serving);
    if (serving) {
      const why = m.lastError ? 'its reload failed' : 'rolled back';
      setText(this.sourceNoteText, shown === 'serving'
        ? `Showing v${m.version}, which serves. The store holds a newer source that is not serving (${why}). `
        : `Showing the store's source, which is not serving (${why}): v${m.version} serves an older one. `);
      setText(this.sourceSwitch, shown === 'serving' ? "Show the store's source" : `Show v${m.version}'s source`);
    }
    setText(this.sourceWhere, shown === 'serving' ? `v${m.version} (serving) · ${m.sourcePath}` : pos ? 'error at ' + where(pos) : m.sourcePath);
    this.sourceWhere.classList.toggle('error-text', !!pos && shown === 'store');
    this.editBtn.disabled = this.source === null || this.editing;
    if (this.editing && this.source !== null && this.source !== this.editBase) {
      setText(this.saveStatus, 'the file changed in the store since you began editing; Save overwrites it');
    }
    this.shownText = text;
    this.part('source', [shown, text, this.sourceError, failing].join('\u0000'), () => {
      if (text === null) {
        this.sourceView.replaceChildren(el('div', { class: 'empty' }, this.sourceError || (this.sourceSection.open ? 'loading…' : '')));
        return;
      }
      const lines = text.split('\n');
      const rows = lines.map((text, i) => el('div', { class: 'line' + (i + 1 === failing ? ' failing' : ''), 'data-line': i + 1 },
        el('span', { class: 'ln' }, i + 1), el('span', { class: 'code' }, i + 1 === failing ? this.markColumn(text, pos.column) : text)));
      this.sourceView.replaceChildren(...rows);
      const row = rows[failing - 1];
      if (row && this.sourceSection.open) {
        // Bring the failing line into the view's own scroll, not the page's.
        requestAnimationFrame(() => {
          this.sourceView.scrollTop = Math.max(0, row.offsetTop - this.sourceView.offsetTop - this.sourceView.clientHeight / 2);
        });
      }
    });
  }

  // markColumn underlines the character an error names (columns count
  // from 1); past the end of the line, a space stands for it.
  markColumn(text, column) {
    const at = Math.max(0, Math.min((column || 1) - 1, text.length));
    return [text.slice(0, at), el('span', { class: 'err-col' }, text.slice(at, at + 1) || ' '), text.slice(at + 1)];
  }

  startEdit() {
    if (this.source === null) return;
    this.editing = true;
    // What the user reads is what they edit; a change in the store since
    // is measured against the store's text.
    this.editBase = this.source;
    this.editor.value = this.shownText ?? this.source;
    setText(this.saveStatus, '');
    show(this.sourceView, false);
    show(this.editForm, true);
    this.editBtn.disabled = true;
    this.editor.focus();
  }

  stopEdit() {
    this.editing = false;
    show(this.editForm, false);
    show(this.sourceView, true);
    this.drawSource();
  }

  async save() {
    const text = this.editor.value;
    this.saveBtn.disabled = true;
    setText(this.saveStatus, 'saving…');
    try {
      await this.w.request('PUT', fileURL(this.m.sourcePath), { body: text });
      this.source = text;
      this.stopEdit();
      // The runtime reloads the module; its event brings the new version.
      setText(this.saveStatus, '');
    } catch (e) {
      setText(this.saveStatus, 'not saved: ' + (e.describe?.() || e.message));
    } finally {
      this.saveBtn.disabled = false;
    }
  }

  drawVersions() {
    const m = this.m;
    const versions = (m.versions || []).slice().reverse(); // serving first
    setText(this.versionsHead, `Versions (${versions.length} kept)`);
    show(this.versionsSection, versions.length > 0);
    fill(this.versionsTable,
      el('tr', {}, el('th', {}, 'version'), el('th', {}, 'began serving'), el('th', { class: 'num' }, 'load ms'), el('th', { class: 'num' }, 'size'), el('th', {})),
      versions.map((v) => el('tr', { 'data-version': v.version, class: v.serving ? 'serving' : '' },
        el('td', {}, 'v' + v.version + (v.serving ? ' (serving)' : '')),
        el('td', {}, time(v.served)),
        el('td', { class: 'num' }, fmtMs(v.tookMs)),
        el('td', { class: 'num' }, bytes(v.size)),
        el('td', {}, el('span', { class: 'row-actions' },
          v.serving ? null : el('button', { class: 'diff', type: 'button', onclick: () => this.showDiff(v.version) }, 'Diff'),
          v.version < m.version ? el('button', { class: 'rollback-to', type: 'button', onclick: () => this.w.rollback(this.id, v.version) }, 'Roll back') : null)))));
  }

  async showDiff(n) {
    const cur = this.m.version;
    this.diffBox.replaceChildren(el('div', { class: 'empty' }, 'loading…'));
    try {
      const base = this.w.moduleURL(this.id, '/versions/');
      const [a, b] = await Promise.all([this.w.request('GET', base + n), this.w.request('GET', base + cur)]);
      const lines = lineDiff(a.source, b.source);
      const added = lines.filter((l) => l.op === '+').length, removed = lines.filter((l) => l.op === '-').length;
      this.diffBox.replaceChildren(
        el('div', { class: 'diff-head' },
          el('span', {}, `v${n} → v${cur} (serving): `),
          el('span', { class: 'diff-added' }, `+${added}`), ' ', el('span', { class: 'diff-removed' }, `−${removed}`),
          el('span', { class: 'spacer' }),
          el('button', { class: 'diff-close', type: 'button', onclick: () => this.diffBox.replaceChildren() }, 'Close')),
        el('div', { class: 'diff-view', 'data-from': n, 'data-to': cur },
          added + removed === 0 ? el('div', { class: 'empty' }, 'the same source') : null,
          foldDiff(lines).map((l) => l.op === '…'
            ? el('div', { class: 'diff-line fold' }, `⋯ ${l.count} unchanged line${l.count === 1 ? '' : 's'}`)
            : el('div', { class: 'diff-line ' + ({ '+': 'add', '-': 'del', ' ': 'same' })[l.op] }, l.op + ' ' + l.text))));
    } catch (e) {
      this.diffBox.replaceChildren(el('div', { class: 'error' }, 'diff: ' + (e.describe?.() || e.message)));
    }
  }

  // drawCallForms keeps the form of every function still exported, with
  // whatever was typed in it, and adds or drops the others.
  drawCallForms() {
    const names = (this.m.functions || []).filter((n) => n !== '__acceptHotReload');
    for (const [name, form] of this.forms) {
      if (!names.includes(name)) {
        form.remove();
        this.forms.delete(name);
      }
    }
    let prev = null;
    for (const name of names) {
      let form = this.forms.get(name);
      if (!form) {
        form = this.callForm(name);
        this.forms.set(name, form);
      }
      const want = prev ? prev.nextSibling : this.callForms.firstChild;
      if (form !== want) this.callForms.insertBefore(form, want);
      prev = form;
    }
  }

  callForm(name) {
    const args = el('input', { class: 'call-args', type: 'text', spellcheck: 'false', placeholder: 'arguments as JSON, e.g. 2, "x"', 'aria-label': `arguments of ${name}` });
    const out = el('output', { class: 'call-result' });
    const btn = el('button', { class: 'call', type: 'submit' }, 'Call');
    return el('form', {
      class: 'call-form', 'data-function': name,
      onsubmit: async (e) => {
        e.preventDefault();
        let list;
        try {
          list = JSON.parse('[' + args.value + ']');
        } catch (err) {
          out.className = 'call-result err';
          setText(out, 'arguments are not JSON: ' + err.message);
          return;
        }
        btn.disabled = true;
        try {
          const r = await this.w.request('POST', this.w.moduleURL(this.id, '/call'), { json: { function: name, args: list } });
          out.className = 'call-result ok';
          setText(out, `→ ${JSON.stringify(r.result) ?? 'undefined'}   (v${r.version}, ${fmtMs(r.durationMs)} ms)`);
        } catch (err) {
          out.className = 'call-result err';
          setText(out, '✗ ' + (err.describe?.() || err.message));
        } finally {
          btn.disabled = false;
        }
      },
    }, el('span', { class: 'fn-name' }, name + '('), args, el('span', { class: 'fn-name' }, ')'), btn, out);
  }

  updateProfile() {
    const p = this.w.profiles.get(this.id);
    setText(this.profileBtn, p?.running ? 'Stop profile' : 'Profile');
    this.profileBtn.classList.toggle('active', !!p?.running);
    show(this.profileBox, !!p);
    if (!p) return;
    this.part('profile', JSON.stringify(p), () => {
      const secs = p.durationMs / 1000;
      setText(this.profileHead, `profile ${p.id} — ${p.running ? 'running for' : 'stopped after'} ${secs.toFixed(secs < 10 ? 1 : 0)} s: ` +
        `${p.totalCalls} calls, ${p.totalErrors} errors; versions ${(p.versions || []).join(', ') || '–'}`);
      fill(this.profileTable,
        el('tr', {}, el('th', {}, 'function'), ['calls', 'errors', 'mean ms', 'p50 ms', 'p99 ms', 'max ms'].map((h) => el('th', { class: 'num' }, h))),
        (p.functions || []).map((f) => el('tr', { 'data-function': f.name },
          el('td', {}, f.name), el('td', { class: 'num' }, f.calls), el('td', { class: 'num' }, f.errors),
          el('td', { class: 'num' }, fmtMs(f.meanMs)), el('td', { class: 'num' }, fmtMs(f.p50Ms)),
          el('td', { class: 'num' }, fmtMs(f.p99Ms)), el('td', { class: 'num' }, fmtMs(f.maxMs)))));
    });
  }

  // drawSpark draws the last minute of calls: bars for the rate, a line
  // for the p99. A gap between points is a quiet time: the server says
  // nothing while no call happens.
  drawSpark(points, now, intervalMs) {
    const W = 150, H = 28;
    const span = SPARK_POINTS * intervalMs;
    const recent = (points || []).filter((p) => now - Date.parse(p.time) < span);
    this.spark.replaceChildren();
    show(this.spark, recent.length > 0);
    if (!recent.length) {
      setText(this.sparkText, '');
      return;
    }
    const maxRate = Math.max(...recent.map((p) => p.rate), 1e-9);
    const maxP99 = Math.max(...recent.map((p) => p.p99Ms), 1e-9);
    const bw = W / SPARK_POINTS;
    const x = (p) => W - ((now - Date.parse(p.time)) / span) * W - bw;
    for (const p of recent) {
      const h = (p.rate / maxRate) * (H - 2);
      if (h > 0) this.spark.append(svgEl('rect', { class: 'rate', x: x(p).toFixed(1), y: (H - h).toFixed(1), width: Math.max(bw - 0.5, 1).toFixed(1), height: h.toFixed(1) }));
    }
    // Calls from other modules are counted, not timed: a p99 is of the rest.
    const timed = (p) => p.calls - (p.moduleCalls || 0) > 0;
    const line = recent.filter(timed).map((p) => `${(x(p) + bw / 2).toFixed(1)},${(H - 1 - (p.p99Ms / maxP99) * (H - 4)).toFixed(1)}`);
    if (line.length) this.spark.append(svgEl('polyline', { class: 'p99', points: line.join(' ') }));
    const last = recent[recent.length - 1];
    const live = now - Date.parse(last.time) < 2 * intervalMs && last.calls > 0;
    setText(this.sparkText, !live ? 'idle' : `${last.rate.toFixed(1)} calls/s · ` +
      (timed(last) ? `p99 ${fmtMs(last.p99Ms)} ms` : 'from other modules (not timed)'));
  }
}

class HotReloadWidget extends HTMLElement {
  constructor() {
    super();
    this.attachShadow({ mode: 'open' });
    this.modules = new Map(); // id -> module detail from the API
    this.cards = new Map(); // id -> ModuleCard
    this.profiles = new Map(); // module id -> latest profile metrics
    this.live = new Map(); // module id -> [stats points], oldest first
    this.liveInterval = 1000;
    this.liveNow = 0;
    this.lastActivity = null;
    this.lastError = null;
    this.lastEventId = '';
    this.connected = false;
    this.needLogin = false;
    this.token = sessionStorage.getItem(TOKEN_KEY) || '';
    this.base = '';
    // Coalescing and ordering of module requests: each request takes the
    // next sequence number, and an answer older than the one a module
    // shows is dropped, however late it comes.
    this.seq = 0;
    this.applied = new Map(); // id -> seq of the answer it shows
    this.dirty = new Set(); // ids to fetch
    this.inflight = new Set(); // ids being fetched
    this.removed = new Set(); // ids a removed event named since their last answer
    this.flushTimer = null;
    // Profiles started here live profileTTL ms unless renewed (see
    // toggleProfile); leases are their renewal timers, by profile id.
    this.profileTTL = 60000;
    this.leases = new Map();
  }

  connectedCallback() {
    if (!this.view) this.build();
    this.stopped = false;
    this.start();
  }

  // start asks /healthz (open to all) whether the server wants a token
  // before asking anything that would be refused: a 401 on every first
  // load of such a server was an error in the console for no mistake.
  async start() {
    if (!this.token) {
      try {
        const res = await fetch(this.base + '/healthz');
        if (res.headers.get('X-Hotmod-Token') === 'required') this.requireLogin();
      } catch {}
    }
    if (!this.needLogin) await this.refreshAll();
    this.follow();
  }

  disconnectedCallback() {
    this.stopped = true;
    this.abort?.abort();
    this.loginDone?.();
  }

  // The blueprint's hook for another API location (same origin only).
  set moduleApi(base) {
    this.base = String(base || '').replace(/\/$/, '');
    this.refreshAll();
  }

  getStatus() {
    const n = this.modules.size;
    let reloads = 0;
    for (const m of this.modules.values()) reloads += m.reloads || 0;
    const offline = !this.connected && this.everConnected && !this.needLogin;
    return {
      state: this.needLogin || offline ? 'error' : n > 0 ? 'active' : 'idle',
      primaryMetric: `${n} modules`,
      secondaryMetric: `${reloads} reloads`,
      lastActivity: this.lastActivity,
      message: this.needLogin ? 'this server needs a token' : offline ? 'disconnected from the server — retrying' : this.lastError,
    };
  }

  build() {
    const stat = (cls, label) => {
      const value = el('div', { class: 'stat-value' });
      return [el('div', { class: 'stat-card ' + cls }, el('div', { class: 'stat-label' }, label), value), value];
    };
    let card;
    [card, this.statModules] = stat('modules', 'Active Modules');
    const cards = [card];
    [card, this.statReloads] = stat('reloads', 'Total Reloads');
    cards.push(card);
    [card, this.statRollbacks] = stat('rate', 'Rolled back / Failed reloads');
    cards.push(card);
    [card, this.statFailed] = stat('failed-load', 'Failed to load');
    cards.push(card);
    this.failedCard = card;

    this.conn = el('span', { class: 'conn' });
    this.tokenInput = el('input', { type: 'password', class: 'token', placeholder: 'access token', 'aria-label': 'access token', autocomplete: 'current-password' });
    // A password field wants a user name beside it (Chromium warns in the
    // console otherwise, and password managers need one): the server has
    // one user, so a hidden field names it.
    this.tokenUser = el('input', { type: 'text', class: 'token-user', name: 'username', autocomplete: 'username', value: 'hotmod', hidden: true, tabindex: '-1', 'aria-hidden': 'true' });
    this.loginNote = el('div', { class: 'login-note' });
    this.loginPrompt = el('div', { class: 'login-prompt', role: 'dialog', 'aria-label': 'log in' },
      el('h4', {}, 'This server needs a token'),
      el('p', {}, 'Give the token the server was started with (hotmod serve --token, or $HOTMOD_TOKEN). It is kept for this tab only and sent in a header.'),
      el('form', { class: 'login', onsubmit: (e) => { e.preventDefault(); this.login(this.tokenInput.value); } },
        this.tokenUser, this.tokenInput, el('button', { type: 'submit' }, 'Log in')),
      this.loginNote);
    // What the user's own last action ran into; module errors are on
    // their cards.
    this.actionErrorText = el('span', {});
    this.actionErrorBox = el('div', { class: 'error action-error', role: 'alert' }, this.actionErrorText,
      el('button', { class: 'dismiss', type: 'button', 'aria-label': 'dismiss', onclick: () => { this.actionError = null; this.renderChrome(); } }, '×'));
    // A realm held by one call or load stalls every module in it: say
    // which, while it lasts (stats events carry it; see drawRealms).
    this.realmBanner = el('div', { class: 'realm-banner', role: 'alert' });
    show(this.realmBanner, false);
    this.failedList = el('ul', { class: 'failed-list' });
    this.failedBox = el('div', { class: 'failed-box' }, el('h4', {}, 'Failed to load'), this.failedList);
    this.modulesHead = el('h4', {}, 'Modules');
    this.list = el('div', { class: 'module-list' });
    this.emptyNote = el('div', { class: 'empty' }, 'No modules loaded.');
    // A fleet node (hotmod serve --nats) lists what every node serves.
    this.fleetTable = el('table', { class: 'fleet-table' });
    this.fleetBox = el('div', { class: 'fleet' }, el('h4', {}, 'Fleet'), this.fleetTable);
    show(this.fleetBox, false);
    this.log = el('div', { class: 'event-log' });
    this.logEmpty = el('div', { class: 'empty' }, 'No events yet.');
    this.log.append(this.logEmpty);
    // Disconnected, the page still shows what it last knew, but nothing in
    // it can act: a fieldset disables every control inside at once, and
    // gives each its own state back when the server returns.
    this.offlineBanner = el('div', { class: 'offline-banner', role: 'alert' }, 'disconnected from the server — retrying');
    this.main = el('fieldset', { class: 'main' },
      el('div', { class: 'stats-grid' }, cards),
      this.realmBanner, this.actionErrorBox, this.failedBox,
      this.modulesHead, this.list, this.emptyNote, this.fleetBox,
      el('h4', {}, 'Events'), this.log);
    this.view = el('div', { class: 'hot-reload-panel' },
      el('div', { class: 'top' },
        el('h3', {}, '☄ Hot Reload'), this.conn, el('span', { class: 'spacer' }),
        this.cleanupBtn = el('button', { class: 'cleanup danger', type: 'button', onclick: () => this.cleanup() }, 'Cleanup')),
      this.offlineBanner, this.loginPrompt, this.main);
    this.shadowRoot.append(el('link', { rel: 'stylesheet', href: 'widget.css' }), this.view);
    this.renderChrome();
  }

  // request calls the API. A 401, whatever the endpoint, means the token
  // is missing or wrong: the dashboard asks for one.
  async request(method, path, { json, body, text = false } = {}) {
    const headers = {};
    const token = this.token;
    if (token) headers.Authorization = 'Bearer ' + token;
    let payload;
    if (body !== undefined) {
      headers['Content-Type'] = 'text/plain; charset=utf-8';
      payload = body;
    } else if (method !== 'GET') {
      headers['Content-Type'] = 'application/json';
      payload = JSON.stringify(json ?? {});
    }
    const res = await fetch(this.base + path, { method, headers, body: payload });
    const raw = await res.text();
    if (!res.ok) {
      let err = null;
      try {
        err = JSON.parse(raw).error;
      } catch {}
      // A refusal of a token already replaced says nothing of the new one.
      if (res.status === 401 && token === this.token) this.requireLogin();
      throw new ApiError(res.status, err || { message: `${res.status} ${res.statusText}` });
    }
    if (text) return raw;
    if (raw) return JSON.parse(raw);
    // Only "no content" is meant to be empty: anything else would be taken
    // for an answer of null.
    if (res.status === 204) return null;
    throw new ApiError(res.status, { message: `the server's answer (${res.status}) is empty` });
  }

  moduleURL(id, rest = '') {
    return '/api/modules/' + encodeURIComponent(id) + rest;
  }

  requireLogin() {
    if (!this.needLogin) {
      this.needLogin = true;
      setText(this.loginNote, this.token ? 'The server refused the token given.' : '');
      this.renderChrome();
      this.tokenInput.focus();
    }
  }

  login(token) {
    this.token = token;
    sessionStorage.setItem(TOKEN_KEY, token);
    this.needLogin = false;
    this.tokenInput.value = '';
    this.renderChrome();
    this.abort?.abort(); // reconnect the event stream with the token
    this.loginDone?.();
    this.refreshAll();
  }

  async refreshAll() {
    const seq = ++this.seq;
    try {
      const [list, live] = await Promise.all([
        this.request('GET', '/api/modules'),
        this.request('GET', '/api/live').catch((e) => (e.status === 401 ? Promise.reject(e) : null)),
      ]);
      this.realms = list.realms || 1;
      const ids = new Set(list.modules.map((m) => m.id));
      for (const m of list.modules) this.apply(m.id, m, seq);
      for (const id of [...this.modules.keys()]) if (!ids.has(id)) this.apply(id, null, seq);
      if (live) this.loadLive(live);
      if (live) this.drawRealms(live.realms || []);
      // The list says whether this server is a fleet node: asking
      // /api/fleet of one that is not would be a 404 in the console.
      this.fleetOn = !!list.fleet;
      if (this.fleetOn) this.refreshFleet();
      else show(this.fleetBox, false);
      for (const m of list.modules) this.followProfiles(m);
    } catch (e) {
      if (e.status !== 401) this.note('error', 'loading modules: ' + (e.describe?.() || e.message));
    }
    this.renderChrome();
    this.renderModules();
  }

  // refreshFleet asks for every node's report, on a fleet node only (see
  // refreshAll).
  async refreshFleet() {
    if (!this.fleetOn) return;
    let out;
    try {
      out = await this.request('GET', '/api/fleet');
    } catch (e) {
      if (e.status === 404) this.fleetOn = false;
      return;
    }
    this.drawFleet(out.nodes || []);
  }

  drawFleet(nodes) {
    show(this.fleetBox, true);
    const rows = [el('tr', {}, ...['node', 'module', 'version', 'revision', 'status'].map((h) => el('th', {}, h)))];
    for (const n of nodes) {
      if (n.storeLost) {
        rows.push(el('tr', { class: 'failed', 'data-node': n.node },
          el('td', {}, n.node), el('td', {}, '-'), el('td', {}, '-'), el('td', {}, '-'), el('td', {}, 'store lost: ' + n.storeLost)));
      }
      for (const m of n.modules || []) {
        let status = 'ok';
        let cls = 'ok';
        if (m.deleted) {
          status = `deleted: revision ${m.tried} deletes the source` + (m.error ? '; still serving: ' + m.error : '');
          cls = 'drift';
        } else if (m.error) {
          status = `revision ${m.tried} failed: ` + (m.position ? where(m.position) + ' ' : '') + m.error;
          cls = 'failed';
        } else if (m.rollout) {
          status = "rollout: serves the rollout's source";
          cls = 'rollout';
        } else if (m.serving !== m.tried) {
          status = `behind: the store has revision ${m.tried}`;
          cls = 'drift';
        }
        rows.push(el('tr', { class: cls, 'data-node': n.node, 'data-module': m.id },
          el('td', {}, n.node), el('td', {}, m.id), el('td', {}, 'v' + m.version), el('td', {}, String(m.serving)), el('td', {}, status)));
      }
    }
    this.fleetTable.replaceChildren(...rows);
  }

  loadLive(live) {
    this.liveInterval = live.intervalMs || this.liveInterval;
    this.live = new Map(Object.entries(live.modules || {}));
    for (const pts of this.live.values()) this.liveNow = Math.max(this.liveNow, ...pts.map((p) => Date.parse(p.time)));
    for (const p of live.profiles || []) this.profiles.set(p.module, p);
  }

  // schedule asks for a module's detail soon. Every ask within
  // COALESCE_MS, and every ask while its request runs, is answered by one
  // request.
  schedule(id) {
    this.dirty.add(id);
    if (this.flushTimer === null) this.flushTimer = setTimeout(() => this.flush(), COALESCE_MS);
  }

  flush() {
    this.flushTimer = null;
    for (const id of [...this.dirty]) {
      if (this.inflight.has(id)) continue; // asked again when it ends
      this.dirty.delete(id);
      this.fetchModule(id);
    }
  }

  async fetchModule(id) {
    this.inflight.add(id);
    const seq = ++this.seq;
    try {
      // Asked through the list, which leaves out a module that is not
      // there (removed, or on its first load) where GET /api/modules/{id}
      // would answer 404: an error in the console for what is no error.
      const m = (await this.request('GET', '/api/modules?id=' + encodeURIComponent(id))).modules?.[0];
      const shown = this.modules.get(id);
      if (m) {
        this.apply(id, m, seq);
        await this.followProfiles(m);
      } else if (shown?.state === 'failed' && !this.removed.has(id)) {
        // A failed module that loads again is not listed until the load
        // ends; its next event (created, reload-failed) says how it went.
        this.apply(id, { ...shown, state: 'loading' }, seq);
      } else {
        this.apply(id, null, seq);
      }
    } catch (e) {
      if (e.status !== 401) this.note('error', `loading ${id}: ${e.describe?.() || e.message}`);
    } finally {
      this.inflight.delete(id);
      if (this.dirty.has(id)) this.schedule(id);
    }
    this.renderModules();
  }

  // apply takes a module's detail (null: it is gone) answered to request
  // seq, unless the module already shows a newer answer.
  apply(id, m, seq) {
    if (seq < (this.applied.get(id) ?? 0)) return false;
    this.applied.set(id, seq);
    if (m) this.modules.set(id, m);
    else this.modules.delete(id);
    this.removed.delete(id);
    return true;
  }

  // followProfiles learns of profiles started elsewhere (the CLI, the API)
  // and of stops, from the module's list of running ones.
  async followProfiles(m) {
    const known = this.profiles.get(m.id);
    const running = m.profiles || [];
    if (running.length && !(known && running.includes(known.id))) {
      try {
        this.profiles.set(m.id, await this.request('GET', '/api/profiles/' + encodeURIComponent(running[running.length - 1])));
      } catch {
        return;
      }
    } else if (known?.running && !running.includes(known.id)) {
      this.profiles.set(m.id, { ...known, running: false });
    } else {
      return;
    }
    this.cards.get(m.id)?.updateProfile();
  }

  // follow reads /events with fetch (so the token goes in a header, never
  // in a URL) and reconnects by itself, resuming from the last event id.
  // Refused for want of a token, it waits for one instead of retrying.
  async follow() {
    let delay = 500;
    while (!this.stopped) {
      if (this.needLogin) await new Promise((resolve) => (this.loginDone = resolve));
      if (this.stopped) return;
      this.abort = new AbortController();
      try {
        const headers = {};
        const token = this.token;
        if (token) headers.Authorization = 'Bearer ' + token;
        if (this.lastEventId) headers['Last-Event-ID'] = this.lastEventId;
        const res = await fetch(this.base + '/events', { headers, signal: this.abort.signal });
        if (res.status === 401) {
          if (token === this.token) {
            const loggedIn = new Promise((resolve) => (this.loginDone = resolve));
            this.requireLogin();
            await loggedIn;
          }
          continue;
        }
        if (!res.ok) throw new Error('events: ' + res.status);
        const wasDown = !this.connected && this.everConnected;
        this.connected = this.everConnected = true;
        delay = 500;
        this.renderChrome();
        if (wasDown) this.refreshAll(); // the server came back
        await this.readStream(res.body.getReader());
      } catch (e) {
        if (this.stopped) return;
      }
      this.connected = false;
      this.renderChrome();
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
    if (type === 'stats') {
      this.onStats(ev);
      return;
    }
    if (type === 'reset') {
      this.refreshAll();
      return;
    }
    this.lastActivity = ev.time;
    if (type === 'reload-failed') this.lastError = `${ev.module}: ${ev.error}`;
    else if (type === 'reloaded' || type === 'rolled-back' || type === 'recovered') this.lastError = null;
    this.logEvent(ev);
    if (type === 'profile-stopped' && ev.profile) this.unlease(ev.profile);
    if (type === 'cleanup') {
      this.profiles.clear();
      this.live.clear();
      this.refreshAll();
    } else if (ev.module && MODULE_EVENTS.has(type)) {
      if (type === 'removed') this.removed.add(ev.module);
      this.schedule(ev.module);
    }
    // A change reaches every node of a fleet: their reports follow it.
    if (this.fleetOn && ev.module) {
      clearTimeout(this.fleetTimer);
      this.fleetTimer = setTimeout(() => this.refreshFleet(), FLEET_SETTLE_MS);
    }
    this.renderChrome();
  }

  // drawRealms shows the realms held past the server's threshold (half a
  // second), each with its holder and for how long, and hides the banner
  // once none is.
  drawRealms(realms) {
    show(this.realmBanner, realms.length > 0);
    const secs = (r) => (r.heldMs / 1000).toFixed(1);
    this.realmBanner.replaceChildren(...realms.map((r) => r.probe
      // A probe's realm is its own: the load is slow, but no call waits.
      ? el('div', { class: 'realm-held probe', 'data-realm': 'probe' },
        `loading ${r.module} for ${secs(r)} s in a probe realm — no call waits on it`)
      : el('div', { class: 'realm-held', 'data-realm': String(r.index) },
        `realm ${r.index} held by ${r.holder || (r.loading ? 'loading ' + r.module : r.module + '.' + r.function)} for ${secs(r)} s` +
        ' — every call that needs it waits')));
  }

  onStats(ev) {
    if (Array.isArray(ev.realms)) this.drawRealms(ev.realms);
    this.liveInterval = ev.intervalMs || this.liveInterval;
    this.liveNow = Math.max(this.liveNow, Date.parse(ev.time));
    for (const [id, point] of Object.entries(ev.modules || {})) {
      const pts = this.live.get(id) || [];
      pts.push(point);
      if (pts.length > SPARK_POINTS) pts.splice(0, pts.length - SPARK_POINTS);
      this.live.set(id, pts);
      const card = this.cards.get(id);
      // A point of a version the card does not show yet waits for its detail.
      if (point.serving && card?.m?.version === point.serving.version) card.drawFigures(point.serving);
    }
    for (const p of ev.profiles || []) {
      const known = this.profiles.get(p.module);
      // A stop the user asked for outranks figures sent just before it.
      if (known && known.id === p.id && !known.running) continue;
      this.profiles.set(p.module, p);
      this.cards.get(p.module)?.updateProfile();
    }
    // A probation's figures move with the calls: its card asks again.
    // So do a canary's, its and the serving version's side by side.
    for (const [id, card] of this.cards) if ((card.m?.probation || card.m?.canary) && ev.modules?.[id]) this.schedule(id);
    // Every sparkline moves on, the quiet ones too.
    for (const [id, card] of this.cards) card.drawSpark(this.live.get(id), this.liveNow, this.liveInterval);
  }

  logEvent(ev) {
    const bits = [time(ev.time), ev.type];
    if (ev.module) bits.push(ev.module);
    if (ev.version) bits.push(ev.oldVersion ? `v${ev.oldVersion}→v${ev.version}` : 'v' + ev.version);
    if (ev.durationMs) bits.push(`in ${fmtMs(ev.durationMs)} ms`);
    if (ev.profile) bits.push(ev.profile);
    if (ev.patch) bits.push(ev.patch + (ev.function ? ' ' + ev.function : ''));
    if (ev.name) bits.push(ev.name);
    if (ev.reason) bits.push('— ' + ev.reason);
    let text = bits.join(' ');
    if (ev.error) text += ' — ' + (ev.position ? where(ev.position) + ' ' : '') + ev.error;
    this.logEmpty.remove();
    this.log.prepend(el('div', { class: 'log-line type-' + ev.type }, text));
    while (this.log.childElementCount > MAX_LOG) this.log.lastElementChild.remove();
  }

  note(level, text) {
    this.logEvent({ type: level, error: text, time: new Date().toISOString() });
    if (level === 'error') this.lastError = this.actionError = text;
    this.renderChrome();
  }

  async act(what, fn) {
    try {
      await fn();
    } catch (e) {
      if (e.status !== 401) this.note('error', `${what}: ${e.describe?.() || e.message}`);
    }
  }

  reload(id) {
    return this.act('reload ' + id, () => this.request('POST', this.moduleURL(id, '/reload')));
  }

  promote(id) {
    return this.act('promote ' + id, () => this.request('POST', this.moduleURL(id, '/canary/promote')));
  }

  abortCanary(id) {
    return this.act('abort the canary of ' + id, () => this.request('DELETE', this.moduleURL(id, '/canary')));
  }

  rollback(id, version) {
    return this.act('rollback ' + id, () => this.request('POST', this.moduleURL(id, '/rollback'), { json: { version: Number(version) } }));
  }

  unpatch(pid) {
    return this.act('unpatch ' + pid, () => this.request('DELETE', '/api/patches/' + encodeURIComponent(pid)));
  }

  // toggleProfile starts a profile with a lifetime (profileTTL ms) that
  // the page renews while it is open, or stops the one running: a profile
  // started here stops by itself once the tab that started it is gone.
  async toggleProfile(id) {
    const running = this.profiles.get(id);
    await this.act('profile ' + id, async () => {
      if (running?.running) {
        this.unlease(running.id);
        this.profiles.set(id, await this.request('DELETE', '/api/profiles/' + encodeURIComponent(running.id)));
      } else {
        const p = await this.request('POST', this.moduleURL(id, '/profiles'), { json: { ttlMs: this.profileTTL } });
        this.profiles.set(id, p);
        this.lease(p.id);
      }
    });
    this.cards.get(id)?.updateProfile();
  }

  // lease renews profile pid three times per lifetime until it stops; a
  // renewal the server refuses (the profile is gone) ends the lease.
  lease(pid) {
    const url = '/api/profiles/' + encodeURIComponent(pid) + '/renew';
    this.leases.set(pid, setInterval(() => {
      this.request('POST', url).catch((e) => {
        if (e.status === 404) this.unlease(pid);
      });
    }, Math.max(this.profileTTL / 3, 100)));
  }

  unlease(pid) {
    clearInterval(this.leases.get(pid));
    this.leases.delete(pid);
  }

  cleanup() {
    if (!confirm('Dispose every module and clear all registries?')) return;
    this.act('cleanup', () => this.request('POST', '/api/cleanup'));
  }

  // renderChrome draws what is not a module card: connection, login,
  // figures, the failed-to-load list.
  renderChrome() {
    if (!this.view) return;
    const status = this.getStatus();
    this.view.setAttribute('data-state', status.state);
    const offline = !this.connected && this.everConnected && !this.needLogin;
    setText(this.conn, this.needLogin ? 'needs a token' : this.connected ? 'live' : offline ? 'disconnected' : 'connecting…');
    this.conn.className = 'conn' + (this.connected && !this.needLogin ? ' live' : '') + (offline ? ' offline' : '');
    show(this.offlineBanner, offline);
    // Who holds a realm is not known while disconnected: no stale banner.
    if (offline) this.drawRealms([]);
    this.main.disabled = offline;
    this.main.classList.toggle('offline', offline);
    this.cleanupBtn.disabled = offline;
    show(this.loginPrompt, this.needLogin);
    show(this.main, !this.needLogin);
    show(this.cleanupBtn, !this.needLogin);
    const mods = [...this.modules.values()];
    const sum = (f) => mods.reduce((s, m) => s + (m[f] || 0), 0);
    const failed = mods.filter((m) => m.state === 'failed').sort((a, b) => a.id.localeCompare(b.id));
    setText(this.statModules, mods.length - failed.length);
    setText(this.statReloads, sum('reloads'));
    setText(this.statRollbacks, `${sum('rollbacks')} / ${sum('failedReloads')}`);
    setText(this.statFailed, failed.length);
    this.failedCard.classList.toggle('bad', failed.length > 0);
    show(this.actionErrorBox, !!this.actionError);
    setText(this.actionErrorText, this.actionError || '');
    show(this.failedBox, failed.length > 0);
    const key = JSON.stringify(failed.map((m) => [m.id, m.lastError, m.lastErrorPosition]));
    if (this.failedKey !== key) {
      this.failedKey = key;
      this.failedList.replaceChildren(...failed.map((m) => el('li', { 'data-module-id': m.id },
        el('button', { class: 'link', type: 'button', onclick: () => this.cards.get(m.id)?.root.scrollIntoView({ behavior: 'smooth' }) }, m.id),
        el('span', { class: 'error-text' }, ' ' + new ApiError(0, { message: m.lastError, position: m.lastErrorPosition }).describe()))));
    }
    // Several realms means several copies of each module's state: say so
    // where the modules are.
    const realms = this.realms || 1;
    setText(this.modulesHead, `Modules (${mods.length}) · ${realms} realm${realms === 1 ? '' : 's'}` +
      (realms > 1 ? ', each with its own module state' : ''));
  }

  // renderModules puts one card per module in id order, reusing each
  // module's card and moving none that is already in place (moving a node
  // would take the focus from an input in it).
  renderModules() {
    if (!this.view) return;
    for (const [id, card] of this.cards) {
      if (!this.modules.has(id)) {
        card.root.remove();
        this.cards.delete(id);
      }
    }
    let prev = null;
    for (const id of [...this.modules.keys()].sort((a, b) => a.localeCompare(b))) {
      let card = this.cards.get(id);
      if (!card) {
        card = new ModuleCard(this, id);
        this.cards.set(id, card);
      }
      if (card.m !== this.modules.get(id)) {
        card.update(this.modules.get(id));
        card.drawSpark(this.live.get(id), this.liveNow, this.liveInterval);
      }
      const want = prev ? prev.nextSibling : this.list.firstChild;
      if (card.root !== want) this.list.insertBefore(card.root, want);
      prev = card.root;
    }
    show(this.emptyNote, this.modules.size === 0);
    this.renderChrome();
  }
}

if (!customElements.get('hot-reload-widget')) {
  customElements.define('hot-reload-widget', HotReloadWidget);
}

export const widget = { element: 'hot-reload-widget', displayName: 'Hot Reload', icon: '☄', category: 'core' };
