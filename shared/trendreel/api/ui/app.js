// trendreel review dashboard: plain JavaScript, no build step, only the public JSON API.
// The token lives in sessionStorage and travels only in the Authorization header.
"use strict";

(() => {
  const STAGES = ["trend_collection", "trend_analysis", "content_generation", "composition", "review"];
  const FINISHED = new Set(["completed", "failed"]);
  const TOKEN_KEY = "trendreel.token";
  const POLL_MS = 2000; // while something is moving
  const IDLE_MS = 10000; // list with nothing running: only looking for new jobs
  const HIDDEN_MS = 30000; // tab in the background
  const MAX_DETAIL_POLLS = 10; // running jobs whose stage progress the list fetches
  const API = new URL("../", document.baseURI); // the page is served at <api>/ui/

  const $ = (id) => document.getElementById(id);

  class ApiError extends Error {
    constructor(status, code, message, details, hint) {
      super(message);
      this.status = status;
      this.code = code;
      this.details = details;
      this.hint = hint || "";
    }
  }

  // --- small DOM helpers (textContent only: nothing from the API is parsed as HTML) ----------

  function el(tag, props, ...children) {
    const node = document.createElement(tag);
    for (const [name, value] of Object.entries(props || {})) {
      if (value === undefined || value === null || value === false) continue;
      if (name === "text") node.textContent = value;
      else if (name === "className") node.className = value;
      else if (name in node && typeof value !== "string") node[name] = value;
      else node.setAttribute(name, value);
    }
    for (const child of children) {
      if (child === null || child === undefined) continue;
      node.append(child instanceof Node ? child : document.createTextNode(String(child)));
    }
    return node;
  }

  function show(node, visible) {
    node.hidden = !visible;
  }

  function setText(id, text) {
    const node = $(id);
    node.textContent = text || "";
    show(node, Boolean(text));
  }

  function when(iso) {
    if (!iso) return "–";
    const date = new Date(iso);
    return Number.isNaN(date.getTime()) ? iso : date.toLocaleString();
  }

  function stageName(stage) {
    return String(stage || "").replace(/_/g, " ");
  }

  function facts(dl, pairs) {
    dl.replaceChildren();
    for (const [term, value] of pairs) {
      if (value === undefined || value === null || value === "") continue;
      dl.append(el("dt", { text: term }), el("dd", { text: String(value) }));
    }
  }

  // --- the API ---------------------------------------------------------------------------------

  function token() {
    return sessionStorage.getItem(TOKEN_KEY) || "";
  }

  async function api(path, options = {}) {
    const headers = { Accept: "application/json", Authorization: `Bearer ${token()}` };
    const init = { method: options.method || "GET", headers, cache: "no-store", credentials: "omit" };
    if (options.body !== undefined) {
      headers["Content-Type"] = "application/json";
      init.body = JSON.stringify(options.body);
    }
    let response;
    try {
      response = await fetch(new URL(path, API), init);
    } catch (exc) {
      throw new ApiError(0, "network", `cannot reach the api (${exc.message})`);
    }
    let data = null;
    try {
      data = await response.json();
    } catch (_) {
      data = null;
    }
    if (response.status === 401) {
      signOut("The token was not accepted (401 Unauthorized). Check it and sign in again.");
      throw new ApiError(401, "unauthorized", "unauthorized");
    }
    if (!response.ok) {
      const error = (data && data.error) || {};
      const details = error.details;
      throw new ApiError(
        response.status,
        error.code || `http_${response.status}`,
        error.message || response.statusText || `HTTP ${response.status}`,
        details,
        error.hint || (isObject(details) && typeof details.hint === "string" ? details.hint : ""),
      );
    }
    return data;
  }

  const enc = encodeURIComponent;

  // --- polling: one loop for the current view; slower when hidden; stops when done ----------

  const loop = { id: 0, timer: null, tick: null, busy: false };

  function stopLoop() {
    loop.id += 1;
    clearTimeout(loop.timer);
    loop.tick = null;
  }

  // `wait`: the first refresh comes after it instead of at once (the state was just shown).
  function startLoop(refresh, wait = 0) {
    stopLoop();
    const id = loop.id;
    const tick = async () => {
      if (id !== loop.id) return;
      clearTimeout(loop.timer);
      loop.busy = true;
      let delay = null;
      try {
        delay = await refresh();
        setBanner("");
      } catch (exc) {
        if (exc.status === 401 || id !== loop.id) return;
        setBanner(exc.message, true);
        delay = POLL_MS * 2;
      } finally {
        loop.busy = false;
      }
      if (id !== loop.id || delay === null) {
        if (id === loop.id) loop.tick = null; // finished: nothing more to poll
        return;
      }
      if (document.visibilityState === "hidden") delay = Math.max(delay, HIDDEN_MS);
      loop.timer = setTimeout(tick, delay);
    };
    loop.tick = tick;
    if (wait > 0) loop.timer = setTimeout(tick, wait);
    else tick();
  }

  document.addEventListener("visibilitychange", () => {
    // Back in front: refresh now instead of waiting out the background interval.
    if (document.visibilityState === "visible" && loop.tick && !loop.busy) loop.tick();
  });

  function setBanner(text, isError) {
    const banner = $("banner");
    banner.textContent = text || "";
    banner.classList.toggle("error", Boolean(isError));
    show(banner, Boolean(text));
  }

  // --- progress ---------------------------------------------------------------------------------

  const shownProgress = new Map(); // job id -> highest value shown (bars never jump back)

  function progressOf(job, detail) {
    if (job.status === "completed") return 100;
    const total = job.total_stages || STAGES.length;
    const done = (job.completed_stages || []).length;
    let part = 0;
    if (detail && job.status === "running" && !(job.completed_stages || []).includes(job.stage)) {
      const run = (detail.stages || {})[job.stage];
      if (run) part = Math.min(1, Math.max(0, Number(run.progress) || 0));
    }
    const raw = Math.round(((done + part) / total) * 1000) / 10;
    if (job.status === "failed") {
      shownProgress.set(job.id, raw);
      return raw;
    }
    const value = Math.max(raw, shownProgress.get(job.id) || 0);
    shownProgress.set(job.id, value);
    return value;
  }

  function progressLabel(job, detail, value) {
    const done = (job.completed_stages || []).length;
    const total = job.total_stages || STAGES.length;
    let label = `${done}/${total} stages`;
    if (job.status === "running") {
      const run = detail && (detail.stages || {})[job.stage];
      const own = run && run.progress ? ` ${Math.round(run.progress * 100)} %` : "";
      label += ` · ${stageName(job.stage)}${own}`;
    }
    return `${label} · ${value} %`;
  }

  // --- jobs list --------------------------------------------------------------------------------

  async function refreshList() {
    const query = new URLSearchParams({ limit: "50" });
    const status = $("status-filter").value;
    if (status) query.set("status", status);
    const data = await api(`jobs?${query}`);
    // Finished jobs are not polled: only running ones are asked for their stage progress.
    const running = data.jobs.filter((job) => job.status === "running").slice(0, MAX_DETAIL_POLLS);
    const details = new Map();
    await Promise.all(
      running.map(async (job) => {
        try {
          details.set(job.id, await api(`jobs/${enc(job.id)}`));
        } catch (exc) {
          if (exc.status === 401) throw exc;
        }
      }),
    );
    renderJobs(data.jobs, details);
    return data.jobs.some((job) => !FINISHED.has(job.status)) ? POLL_MS : IDLE_MS;
  }

  function renderJobs(jobs, details) {
    const list = $("job-list");
    const existing = new Map([...list.children].map((li) => [li.dataset.jobId, li]));
    const items = jobs.map((job) => {
      const detail = details.get(job.id);
      const value = progressOf(job, detail);
      const li = existing.get(job.id) || el("li", { className: "job" });
      li.dataset.jobId = job.id;
      li.dataset.status = job.status;
      const links = [el("a", { href: `#/jobs/${enc(job.id)}`, className: "button", text: "Details" })];
      if (job.status === "completed") {
        links.push(el("a", { href: `#/videos/${enc(job.id)}`, className: "button primary", text: "Review" }));
      }
      li.replaceChildren(
        el(
          "div",
          { className: "job-head" },
          el("a", { href: `#/jobs/${enc(job.id)}`, className: "theme", text: job.theme }),
          el("span", { className: `badge status-${job.status}`, text: job.status }),
        ),
        el("progress", { max: 100, value, "aria-label": `progress of ${job.id}` }),
        el(
          "div",
          { className: "job-foot" },
          el("span", { className: "hint", text: `${progressLabel(job, detail, value)} · ${when(job.created_at)}` }),
          el("span", { className: "links" }, ...links),
        ),
      );
      if (job.error_message) li.append(el("p", { className: "error small", text: job.error_message }));
      return li;
    });
    list.replaceChildren(...items);
    show($("job-list-empty"), jobs.length === 0);
  }

  // === start form ===============================================================================
  // The start-a-job form edits a theme config (the `config` field of POST /generate). Its fields'
  // limits, choices and defaults are read from GET /openapi.json (the schema POST /generate
  // takes), so they follow the model without a copy here. "Edit as JSON" shows the same config as
  // text and reads it back. The browser checks the limits first (messages beside the fields, not
  // in bubbles); the API's validation errors are shown beside the field they name.
  // Everything the form has no field for (auto_post, other content references, ...) is sent as
  // it was loaded, so going form -> JSON -> form loses nothing.

  const OWN_REF_ID = "talking-points"; // the content reference the talking-points list edits
  const CHOICE_LABELS = { tiktok: "TikTok", youtube_shorts: "YouTube Shorts", instagram_reels: "Instagram Reels" };

  const isObject = (value) => value !== null && typeof value === "object" && !Array.isArray(value);
  const clone = (value) => (value === undefined ? undefined : JSON.parse(JSON.stringify(value)));

  function choiceLabel(value) {
    const text = CHOICE_LABELS[value] || String(value).replace(/_/g, " ");
    return text.charAt(0).toUpperCase() + text.slice(1);
  }

  // --- reading the limits from the OpenAPI document ---

  function schemaAt(doc, ref) {
    let node = doc;
    for (const part of ref.replace(/^#\//, "").split("/")) {
      node = isObject(node) ? node[part.replace(/~1/g, "/").replace(/~0/g, "~")] : undefined;
    }
    if (!isObject(node)) throw new Error(`the API's OpenAPI document has no ${ref}`);
    return node;
  }

  /** The schema itself: references followed, a nullable `anyOf` reduced to its non-null branch. */
  function resolved(doc, schema, what) {
    let node = schema;
    for (let hops = 0; isObject(node) && node.$ref && hops < 16; hops += 1) node = schemaAt(doc, node.$ref);
    if (isObject(node) && Array.isArray(node.anyOf)) {
      const kept = node.anyOf.filter((branch) => !(isObject(branch) && branch.type === "null"));
      if (kept.length === 1) return resolved(doc, kept[0], what);
    }
    if (!isObject(node)) throw new Error(`the API's OpenAPI document does not describe ${what}`);
    return node;
  }

  function property(doc, schema, name, what) {
    return resolved(doc, (schema.properties || {})[name], `${what}.${name}`);
  }

  /** What the form needs from the document, found from POST /generate's request body. */
  function readFormSchema(doc) {
    const post = ((doc.paths || {})["/generate"] || {}).post || {};
    const media = ((post.requestBody || {}).content || {})["application/json"] || {};
    const body = resolved(doc, media.schema, "the body of POST /generate");
    const config = property(doc, body, "config", "the request");
    const settings = property(doc, config, "config", "config");
    const refs = property(doc, config, "content_references", "config");
    const ref = resolved(doc, refs.items, "a content reference");
    const points = property(doc, ref, "talking_points", "content_references[]");
    const type = (ref.properties || {}).type;
    return {
      settings: Object.fromEntries(
        Object.entries(settings.properties || {}).map(([name, spec]) => [name, resolved(doc, spec, `config.${name}`)]),
      ),
      required: new Set(settings.required || []),
      maxPoints: points.maxItems,
      point: resolved(doc, points.items || {}, "a talking point"),
      refType: (isObject(type) && type.default) || "note",
      // The bundled default config, when the document carries it as the config's example.
      example: Array.isArray(config.examples) && isObject(config.examples[0]) ? config.examples[0] : null,
    };
  }

  function limitsText(spec, required, unit) {
    const parts = [];
    if (required) parts.push("required");
    if (spec.type === "string" && spec.maxLength !== undefined) parts.push(`up to ${spec.maxLength} characters`);
    if (spec.minimum !== undefined && spec.maximum !== undefined) parts.push(`${spec.minimum} to ${spec.maximum}${unit}`);
    else if (spec.minimum !== undefined) parts.push(`at least ${spec.minimum}${unit}`);
    else if (spec.maximum !== undefined) parts.push(`at most ${spec.maximum}${unit}`);
    if (spec.default !== undefined && spec.default !== "" && !spec.enum) {
      parts.push(`default ${typeof spec.default === "string" ? `"${spec.default}"` : spec.default}`);
    }
    const text = parts.join(", ");
    return text ? `${text.charAt(0).toUpperCase()}${text.slice(1)}.` : "";
  }

  function createStartForm({ onAccepted }) {
    const form = $("new-job-form");
    const raw = $("config");
    const controls = [...form.querySelectorAll("[data-setting]")];
    const bySetting = new Map(controls.map((control) => [control.dataset.setting, control]));
    const state = {
      schema: null, // readFormSchema's answer once the document is read
      loading: null, // the promise while reading it
      problem: "", // why the form cannot be used, when the document could not be read
      base: {}, // the config last loaded: what the form shows no field for is sent as it was
      refs: [], // content references other than the talking points, sent as they are
      own: null, // the loaded talking-points reference (its other fields are kept)
      ownAt: 0, // where the talking-points reference goes among the content references
      raw: false, // editing as JSON
      busy: false,
      firstInvalid: null,
    };
    let pointSeq = 0;

    const wrapper = (control) => control.closest(".field");
    const errorNode = (control) => $(`${control.id}-error`);
    const pointRows = () => [...$("points-list").children];
    const pointInput = (row) => row.querySelector("input");

    // --- errors beside the fields ---

    function describedBy(node, id, add) {
      const ids = (node.getAttribute("aria-describedby") || "").split(/\s+/).filter((x) => x && x !== id);
      if (add) ids.push(id);
      if (ids.length) node.setAttribute("aria-describedby", ids.join(" "));
      else node.removeAttribute("aria-describedby");
    }

    /** Shows `message` in `error` (a .field-error), marking `control` invalid and described by it. */
    function fieldError(control, error, message) {
      error.textContent = error.textContent ? `${error.textContent}; ${message}` : message;
      show(error, true);
      const target = control || error.closest("fieldset, section");
      if (control) control.setAttribute("aria-invalid", "true");
      if (target) describedBy(target, error.id, true);
    }

    function clearFieldError(control) {
      control.removeAttribute("aria-invalid");
      const error = errorNode(control);
      if (!error) return;
      error.textContent = "";
      show(error, false);
      describedBy(control, error.id, false);
    }

    function clearErrors() {
      for (const error of form.querySelectorAll(".field-error")) {
        error.textContent = "";
        show(error, false);
      }
      for (const node of form.querySelectorAll("[aria-describedby]")) {
        for (const id of node.getAttribute("aria-describedby").split(/\s+/)) {
          if (id.endsWith("-error")) describedBy(node, id, false);
        }
      }
      for (const node of form.querySelectorAll("[aria-invalid]")) node.removeAttribute("aria-invalid");
      setText("new-job-error", "");
      state.firstInvalid = null;
    }

    // --- the limits ---

    function applyLimits(schema) {
      for (const control of controls) {
        const name = control.dataset.setting;
        const spec = schema.settings[name];
        const field = wrapper(control);
        show(field, Boolean(spec)); // a setting the API no longer has: no field for it
        control.disabled = !spec;
        if (!spec) continue;
        if (Array.isArray(spec.enum) && control.tagName === "SELECT") {
          control.replaceChildren(...spec.enum.map((value) => el("option", { value, text: choiceLabel(value) })));
        }
        if (spec.type === "integer" || spec.type === "number") {
          if (spec.minimum !== undefined) control.min = String(spec.minimum);
          if (spec.maximum !== undefined) control.max = String(spec.maximum);
          control.step = spec.type === "integer" ? "1" : "any";
        }
        if (spec.type === "string" && spec.maxLength !== undefined) control.maxLength = spec.maxLength;
        if (spec.type === "string" && spec.minLength !== undefined) control.minLength = spec.minLength;
        control.required = schema.required.has(name);
        const limits = field.querySelector("[data-limits]");
        if (limits) limits.textContent = limitsText(spec, control.required, control.type === "number" ? " seconds" : "");
      }
      const max = schema.maxPoints;
      const each = schema.point.maxLength !== undefined ? ` Each up to ${schema.point.maxLength} characters.` : "";
      $("points").querySelector("[data-limits]").textContent = (max !== undefined ? `Up to ${max}.` : "") + each;
    }

    function defaultConfig() {
      if (state.schema.example) return clone(state.schema.example);
      const settings = {};
      for (const [name, spec] of Object.entries(state.schema.settings)) {
        if (spec.default !== undefined) settings[name] = spec.default;
        else if (spec.type === "string") settings[name] = "";
      }
      return { config: settings };
    }

    // --- talking points ---

    function renumberPoints() {
      pointRows().forEach((row, i) => {
        row.querySelector("label").textContent = `Talking point ${i + 1}`;
        row.querySelector("button").setAttribute("aria-label", `Remove talking point ${i + 1}`);
      });
      const max = state.schema ? state.schema.maxPoints : undefined;
      $("point-add").disabled = max !== undefined && pointRows().length >= max;
    }

    function pointRow(text) {
      pointSeq += 1;
      const id = `point-${pointSeq}`;
      const input = el("input", { id, className: "point-input", autocomplete: "off" });
      input.value = text;
      if (state.schema && state.schema.point.maxLength !== undefined) input.maxLength = state.schema.point.maxLength;
      return el(
        "li",
        { className: "point" },
        el("label", { for: id, className: "sr-only" }),
        el("div", { className: "point-row" }, input, el("button", { type: "button", className: "small-button", text: "Remove" })),
        el("p", { className: "field-error", id: `${id}-error`, hidden: true }),
      );
    }

    function addPoint(after) {
      if ($("point-add").disabled) return;
      const row = pointRow("");
      if (after) after.after(row);
      else $("points-list").append(row);
      renumberPoints();
      pointInput(row).focus();
    }

    function removePoint(row) {
      const next = row.nextElementSibling || row.previousElementSibling;
      row.remove();
      renumberPoints();
      (next ? pointInput(next) : $("point-add")).focus();
    }

    // --- other content references ---

    function renderRefs() {
      $("refs-list").replaceChildren(
        ...state.refs.map((ref, i) => {
          const obj = isObject(ref) ? ref : {};
          const title = String(obj.title || obj.ref_id || `reference ${i + 1}`);
          const points = Array.isArray(obj.talking_points) ? obj.talking_points : [];
          return el(
            "li",
            { className: "ref" },
            el(
              "div",
              { className: "ref-head" },
              el("strong", { text: title }),
              obj.type ? el("span", { className: "badge", text: String(obj.type) }) : null,
              el("button", { type: "button", className: "small-button", "data-index": String(i), "aria-label": `Remove ${title}`, text: "Remove" }),
            ),
            obj.description ? el("p", { className: "hint", text: String(obj.description) }) : null,
            points.length ? el("ul", { className: "ref-points" }, ...points.map((p) => el("li", { text: String(p) }))) : null,
          );
        }),
      );
      show($("refs"), state.refs.length > 0);
    }

    function removeRef(index) {
      state.refs.splice(index, 1);
      if (index < state.ownAt) state.ownAt -= 1;
      renderRefs();
      const buttons = $("refs-list").querySelectorAll("button");
      (buttons[Math.min(index, buttons.length - 1)] || $("point-add")).focus();
    }

    // --- config <-> form ---

    /** Puts a config into the form. Returns why not (changing nothing) when a value has no place
     * in the form as it is, so that going back to the form never silently changes the config. */
    function loadConfig(doc) {
      if (!isObject(doc)) return "the theme config must be a JSON object: { \"config\": { ... } }";
      const settings = doc.config === undefined ? {} : doc.config;
      if (!isObject(settings)) return "config: must be an object of settings";
      for (const control of controls) {
        const value = settings[control.dataset.setting];
        if (value === undefined || control.disabled) continue;
        const fits = control.type === "number" ? typeof value === "number" && Number.isFinite(value) : typeof value === "string";
        if (!fits) return `config.${control.dataset.setting}: ${JSON.stringify(value)} does not fit the form's field`;
      }
      const refs = doc.content_references === undefined ? [] : doc.content_references;
      if (!Array.isArray(refs)) return "content_references: must be a list";
      const ownAt = refs.findIndex((ref) => isObject(ref) && ref.ref_id === OWN_REF_ID);
      const own = ownAt >= 0 ? refs[ownAt] : null;
      const points = own && own.talking_points !== undefined ? own.talking_points : [];
      if (!Array.isArray(points) || !points.every((p) => typeof p === "string")) {
        return `content_references.${ownAt}.talking_points: must be a list of texts`;
      }

      state.base = clone(doc);
      state.own = clone(own);
      state.ownAt = ownAt >= 0 ? ownAt : 0; // new talking points lead
      state.refs = clone(refs.filter((_, i) => i !== ownAt));
      for (const control of controls) {
        if (control.disabled) continue;
        const spec = state.schema.settings[control.dataset.setting];
        let value = settings[control.dataset.setting];
        if (value === undefined) value = spec.default === undefined ? "" : spec.default;
        if (control.tagName === "SELECT") {
          for (const extra of control.querySelectorAll("option[data-extra]")) extra.remove();
          if (![...control.options].some((option) => option.value === value)) {
            control.append(el("option", { value, "data-extra": "", text: value })); // the API will judge it
          }
        }
        control.value = String(value);
      }
      $("points-list").replaceChildren(...points.map(pointRow));
      renumberPoints();
      renderRefs();
      return null;
    }

    /** The config the form shows, with where each talking point and reference went in it. */
    function formConfig() {
      const doc = clone(state.base);
      const settings = isObject(doc.config) ? doc.config : {};
      for (const control of controls) {
        if (control.disabled) continue;
        const name = control.dataset.setting;
        const text = control.value.trim();
        if (control.type === "number") {
          if (text === "") delete settings[name]; // the API's default
          else settings[name] = Number(text);
        } else {
          settings[name] = control.tagName === "SELECT" ? control.value : text;
        }
      }
      doc.config = settings;
      const filled = pointRows().map(pointInput).filter((input) => input.value.trim());
      const refs = clone(state.refs);
      const placed = { own: -1, pointInputs: filled, refs: refs.map((_, i) => i) };
      // The talking points' reference is sent when it has points (or was loaded without any).
      if (filled.length || (state.own && !(state.own.talking_points || []).length)) {
        const own = {
          ref_id: OWN_REF_ID,
          type: state.schema.refType,
          title: "Talking points",
          ...(state.own || {}),
          talking_points: filled.map((input) => input.value.trim()),
        };
        placed.own = Math.min(state.ownAt, refs.length);
        refs.splice(placed.own, 0, own);
        placed.refs = placed.refs.map((i) => (i >= placed.own ? i + 1 : i));
      }
      if (refs.length || doc.content_references !== undefined) doc.content_references = refs;
      return { doc, placed };
    }

    // --- JSON mode ---

    function showRaw(doc) {
      raw.value = doc === undefined ? "" : JSON.stringify(doc, null, 2);
      raw.rows = Math.min(30, Math.max(10, raw.value.split("\n").length + 1));
      raw.setSelectionRange(0, 0);
      raw.scrollTop = 0;
    }

    function setMode(toRaw) {
      clearErrors();
      if (toRaw) {
        showRaw(state.schema ? formConfig().doc : Object.keys(state.base).length ? state.base : undefined);
      } else {
        if (!state.schema) {
          fieldError(raw, $("config-error"), `The form cannot be used: ${state.problem || "the API's limits are still being read"}.`);
          return;
        }
        const problem = parseRaw((doc) => loadConfig(doc === undefined ? defaultConfig() : doc));
        if (problem) {
          fieldError(raw, $("config-error"), `${problem}. Fix it here to go back to the form, or start the job from JSON.`);
          raw.focus();
          return;
        }
      }
      state.raw = toRaw;
      const fields = $("form-fields");
      show(fields, !toRaw);
      fields.disabled = toRaw || !state.schema;
      show($("raw-panel"), toRaw);
      raw.disabled = !toRaw;
      const toggle = $("raw-toggle");
      toggle.textContent = toRaw ? "Back to the form" : "Edit as JSON";
      toggle.setAttribute("aria-expanded", String(toRaw));
      updateButtons();
      if (toRaw) raw.focus();
    }

    /** Parses the JSON text; an empty text is the bundled default config (`{}` is sent). */
    function parseRaw(use) {
      const text = raw.value.trim();
      let doc;
      try {
        doc = text ? JSON.parse(text) : undefined;
      } catch (exc) {
        return `not valid JSON: ${exc.message}`;
      }
      if (doc !== undefined && !isObject(doc)) return "the theme config must be a JSON object: { \"config\": { ... } }";
      return use(doc);
    }

    function updateButtons() {
      const usable = state.raw || Boolean(state.schema);
      $("new-job-submit").disabled = !usable || state.busy;
      $("form-reset").disabled = !state.schema || state.busy;
    }

    // --- the API's errors ---

    /** [{field, message}] from an ApiError, and notes for the form as a whole. */
    function problemsOf(exc) {
      const notes = [];
      if (Array.isArray(exc.details)) {
        const problems = exc.details
          .filter(isObject)
          .map((d) => ({ field: String(d.field || ""), message: String(d.message || exc.message) }));
        if (problems.length) return { problems, notes };
      }
      if (isObject(exc.details) && exc.details.field) {
        // One problem, named in the message: "invalid config ...: field 'x.y': text (and 2 more)".
        const field = String(exc.details.field);
        let message = exc.message;
        const marker = `field '${field}': `;
        const at = message.indexOf(marker);
        if (at >= 0) message = message.slice(at + marker.length);
        const more = message.match(/ \(and (\d+) more\)$/);
        if (more) {
          message = message.slice(0, more.index);
          notes.push(`The API names one problem at a time: ${more[1]} more after this one.`);
        }
        return { problems: [{ field, message }], notes };
      }
      return { problems: [{ field: "", message: exc.message }], notes };
    }

    /** The control (or group) an error's field path names, or null for the form as a whole. */
    function targetOf(field, placed) {
      const parts = field.split(".");
      if (parts[0] === "theme" && parts.length === 1) return { control: bySetting.get("theme") };
      if (parts[0] === "config" && parts.length >= 2 && bySetting.has(parts[1])) {
        const control = bySetting.get(parts[1]);
        return control.disabled ? null : { control };
      }
      if (parts[0] === "content_references" && /^\d+$/.test(parts[1] || "")) {
        const index = Number(parts[1]);
        if (index === placed.own) {
          const input = parts[2] === "talking_points" && /^\d+$/.test(parts[3] || "") ? placed.pointInputs[Number(parts[3])] : null;
          return input ? { control: input } : { group: $("points-error") };
        }
        const kept = placed.refs.indexOf(index);
        if (kept >= 0) {
          const ref = state.refs[kept];
          const name = isObject(ref) && (ref.title || ref.ref_id) ? String(ref.title || ref.ref_id) : `reference ${kept + 1}`;
          return { group: $("refs-error"), prefix: `${name}: ${parts.slice(2).join(".") || "reference"}: ` };
        }
      }
      return null;
    }

    function showApiErrors(exc, placed) {
      const { problems, notes } = problemsOf(exc);
      const general = [];
      let marked = 0;
      for (const { field, message } of problems) {
        if (state.raw || !placed) {
          // JSON mode: the text is the only field; say which part of it.
          fieldError(raw, $("config-error"), field ? `${field}: ${message}` : message);
          marked += 1;
          continue;
        }
        const target = field ? targetOf(field, placed) : null;
        if (target && target.control) {
          fieldError(target.control, errorNode(target.control), message);
          state.firstInvalid = state.firstInvalid || target.control;
          marked += 1;
        } else if (target) {
          fieldError(null, target.group, `${target.prefix || ""}${message}`);
          marked += 1;
        } else {
          general.push(field ? `${field}: ${message}` : message);
        }
      }
      const lead = marked ? [`Not started: see the marked field${marked > 1 ? "s" : ""}.`] : ["Not started."];
      setText("new-job-error", [...lead, ...general, ...notes].join(" "));
      const focus = state.raw ? raw : state.firstInvalid || form.querySelector(".field-error:not([hidden])");
      if (focus && focus.focus) focus.focus();
    }

    // --- submitting ---

    async function submit(event) {
      event.preventDefault();
      if (state.busy) return;
      clearErrors();
      let body;
      let placed = null;
      if (state.raw) {
        const problem = parseRaw((doc) => {
          body = doc === undefined ? {} : { config: doc };
          return null;
        });
        if (problem) {
          fieldError(raw, $("config-error"), problem);
          raw.focus();
          return;
        }
      } else {
        const built = formConfig();
        body = { config: built.doc };
        placed = built.placed;
      }
      state.busy = true;
      updateButtons();
      setText("new-job-done", "");
      try {
        const accepted = await api("generate", { method: "POST", body });
        const done = $("new-job-done");
        done.replaceChildren(`Job ${accepted.job_id} started. `, el("a", { href: `#/jobs/${enc(accepted.job_id)}`, text: "Follow it" }));
        show(done, true);
        onAccepted(accepted);
      } catch (exc) {
        if (exc.status !== 401) showApiErrors(exc, placed);
      } finally {
        state.busy = false;
        updateButtons();
      }
    }

    // The browser's own check runs first (the form has no `novalidate`): its messages go beside
    // the fields, like the API's, instead of in bubbles.
    function onInvalid(event) {
      event.preventDefault();
      const control = event.target;
      const error = errorNode(control);
      if (error) fieldError(control, error, control.validationMessage);
      const marked = form.querySelectorAll("[aria-invalid='true']").length;
      setText("new-job-error", `Not started: see the marked field${marked > 1 ? "s" : ""}.`);
      if (!state.firstInvalid) {
        state.firstInvalid = control;
        control.focus();
      }
    }

    // --- reading the document ---

    function setStatus(text) {
      $("new-job-status").textContent = text;
    }

    function prepare() {
      if (state.schema || state.loading) return state.loading;
      setStatus("Reading the API's limits…");
      state.loading = api("openapi.json")
        .then((doc) => {
          const schema = readFormSchema(doc);
          state.schema = schema;
          state.problem = "";
          applyLimits(schema);
          loadConfig(defaultConfig());
          $("form-fields").disabled = state.raw;
          form.dataset.schema = "ready";
          setStatus(schema.example ? "Starts from the default config: change what you like." : "Fill in a theme; the rest starts at the API's defaults.");
        })
        .catch((exc) => {
          if (exc.status === 401) return;
          state.problem = `the API's limits could not be read (${exc.message})`;
          setStatus(`The form needs the API's limits, which could not be read (${exc.message}). Use Edit as JSON, or reload the page.`);
          form.dataset.schema = "failed";
        })
        .finally(() => {
          state.loading = null;
          updateButtons();
        });
      return state.loading;
    }

    form.addEventListener("submit", submit);
    form.addEventListener("invalid", onInvalid, true); // `invalid` does not bubble
    $("new-job-submit").addEventListener("click", clearErrors); // before the browser's check
    form.addEventListener("input", (event) => {
      if (event.target.getAttribute("aria-invalid")) clearFieldError(event.target);
    });
    $("raw-toggle").addEventListener("click", () => setMode(!state.raw));
    $("form-reset").addEventListener("click", () => {
      clearErrors();
      setText("new-job-done", "");
      loadConfig(defaultConfig());
      if (state.raw) showRaw(formConfig().doc);
      (state.raw ? raw : bySetting.get("theme")).focus();
    });
    $("point-add").addEventListener("click", () => addPoint(null));
    $("points-list").addEventListener("click", (event) => {
      const button = event.target.closest("button");
      if (button) removePoint(button.closest("li"));
    });
    $("points-list").addEventListener("keydown", (event) => {
      if (event.key !== "Enter" || !event.target.matches("input")) return;
      event.preventDefault(); // Enter adds the next point instead of starting the job
      addPoint(event.target.closest("li"));
    });
    $("refs-list").addEventListener("click", (event) => {
      const button = event.target.closest("button[data-index]");
      if (button) removeRef(Number(button.dataset.index));
    });

    return { prepare };
  }

  // --- job detail -------------------------------------------------------------------------------

  let detailJob = null;

  async function refreshDetail(jobId) {
    const job = await api(`jobs/${enc(jobId)}`);
    renderDetail(job);
    return FINISHED.has(job.status) ? null : POLL_MS;
  }

  function stageState(job, stage) {
    if ((job.completed_stages || []).includes(stage)) return "done";
    if (job.status === "failed" && job.error && job.error.stage === stage) return "failed";
    if (job.status === "running" && job.stage === stage) return "running";
    return "waiting";
  }

  function renderDetail(job) {
    detailJob = job;
    $("view-detail").dataset.status = job.status;
    $("detail-title").textContent = job.theme;
    facts($("detail-facts"), [
      ["Job", job.id],
      ["Status", job.status],
      ["Stage", stageName(job.stage)],
      ["Run", job.generation],
      ["Trigger", job.trigger],
      ["Created", when(job.created_at)],
      ["Updated", when(job.updated_at)],
    ]);
    const value = progressOf(job, job);
    $("detail-progress").value = value;
    $("detail-progress-label").textContent = progressLabel(job, job, value);

    const rows = STAGES.map((stage) => {
      const run = (job.stages || {})[stage] || {};
      const state = stageState(job, stage);
      return el(
        "tr",
        { className: `stage-${state}`, "data-stage": stage },
        el("td", { text: stageName(stage) }),
        el("td", {}, el("span", { className: `badge state-${state}`, text: state })),
        el("td", { text: String(run.attempts || 0) }),
        el("td", { text: when(run.started_at) }),
        el("td", { text: when(run.finished_at) }),
        el("td", { text: run.seconds === null || run.seconds === undefined ? "–" : String(run.seconds) }),
        el("td", { text: run.message || "" }),
      );
    });
    $("stage-rows").replaceChildren(...rows);

    const failed = job.status === "failed";
    show($("detail-error"), failed);
    if (failed) {
      const error = job.error || {};
      $("error-stage").textContent = stageName(error.stage || job.stage);
      const provider = error.provider ? ` (${error.provider})` : "";
      $("error-cause").textContent = error.code
        ? `${error.code}${provider}: ${error.message}`
        : job.error_message || "unknown";
      $("error-retryable").textContent = error.retryable ? "yes" : "no";
      setText("error-hint", error.hint || "");
      $("retry").disabled = false;
    }
    show($("detail-review-link"), job.status === "completed");
    $("review-link").href = `#/videos/${enc(job.id)}`;
  }

  async function retryJob() {
    if (!detailJob) return;
    const jobId = detailJob.id;
    $("retry").disabled = true;
    setText("retry-error", "");
    try {
      const accepted = await api(`jobs/${enc(jobId)}/retry`, { method: "POST", body: {} });
      setBanner(accepted.message);
      show($("detail-error"), false);
      startLoop(() => refreshDetail(jobId));
    } catch (exc) {
      if (exc.status !== 401) setText("retry-error", exc.message);
      $("retry").disabled = false;
    }
  }

  // --- video review -----------------------------------------------------------------------------

  let reviewVideo = null;

  async function loadReview(videoId) {
    const video = await api(`videos/${enc(videoId)}`);
    renderReview(video);
  }

  function renderReviewState(summary) {
    const status = summary.review_status;
    const badge = $("review-status");
    badge.textContent = status;
    badge.className = `badge review-${status}`;
    $("view-review").dataset.review = status;
    setText("review-reason", summary.review_reason ? `Reason: ${summary.review_reason}` : "");
    const open = status === "generated";
    $("approve").disabled = !open;
    $("reject").disabled = !open;
    $("reject-reason").disabled = !open;
  }

  function renderReview(video) {
    reviewVideo = video;
    $("review-title").textContent = video.title || video.theme;
    $("review-back").href = `#/jobs/${enc(video.id)}`;
    const player = $("player");
    const media = video.media || {};
    if (media.video_url && player.dataset.src !== media.video_url) {
      player.dataset.src = media.video_url;
      player.src = new URL(media.video_url, document.baseURI).href;
    }
    if (media.thumbnail_url) {
      player.poster = new URL(media.thumbnail_url, document.baseURI).href;
      $("thumbnail").src = player.poster;
    }
    show($("thumbnail"), Boolean(media.thumbnail_url));
    renderReviewState(video);
    renderPublishing(video);
    facts($("review-facts"), [
      ["Video", video.id],
      ["Theme", video.theme],
      ["Finished", when(video.completed_at)],
      ["Estimated cost", video.estimated_cost_usd === null ? "unknown" : `$${video.estimated_cost_usd.toFixed(4)}`],
      ["Media links expire", when(media.expires_at)],
    ]);

    const script = video.script;
    $("review-script").replaceChildren(
      ...(script
        ? [
            el("p", {}, el("strong", { text: "Hook: " }), script.hook),
            el("ol", { className: "narration" }, ...(script.narration || []).map((line) => el("li", { text: line }))),
            el("p", {}, el("strong", { text: "Call to action: " }), script.call_to_action),
            el("p", {}, el("strong", { text: "Description: " }), script.description),
            el("p", { className: "hint", text: `${(script.hashtags || []).join(" ")} · ${script.scene_count} scenes · ${script.narration_words} words` }),
          ]
        : [el("p", { className: "hint", text: "No script recorded." })]),
    );

    const captions = video.captions || [];
    $("review-captions").replaceChildren(
      ...captions.map((c) => el("li", {}, el("span", { className: "time", text: `${c.start.toFixed(1)}–${c.end.toFixed(1)} s` }), ` ${c.text}`)),
    );
    if (!captions.length) $("review-captions").append(el("li", { className: "hint", text: "No captions recorded." }));

    const topic = video.chosen_topic;
    $("review-topic").replaceChildren(
      ...(topic
        ? [
            el("p", {}, el("strong", { text: topic.label })),
            el("p", {}, el("strong", { text: "Why: " }), topic.reason),
            el("p", { className: "hint", text: [...(topic.keywords || []), ...(topic.hashtags || [])].join(" · ") }),
          ]
        : [el("p", { className: "hint", text: "No topic recorded." })]),
    );

    const assets = video.assets || [];
    $("review-assets").replaceChildren(
      ...assets.map((a) =>
        el("tr", {}, el("td", { text: a.kind }), el("td", { text: a.provider }), el("td", { text: a.source }), el("td", { text: a.licence }), el("td", { text: a.detail || "" })),
      ),
    );
    if (!assets.length) $("review-assets").append(el("tr", {}, el("td", { colSpan: 5, className: "hint", text: "No assets recorded." })));

    const qc = video.qc;
    $("review-qc").replaceChildren(
      ...(qc
        ? [
            el("p", {}, el("span", { className: `badge ${qc.passed ? "qc-pass" : "qc-fail"}`, text: qc.passed ? "passed" : "failed" }), ` ${qc.checks} checks`),
            ...(qc.failed_checks.length ? [el("ul", {}, ...qc.failed_checks.map((f) => el("li", { className: "error", text: f })))] : []),
          ]
        : [el("p", { className: "hint", text: "No QC report." })]),
    );
  }

  async function decide(approve) {
    if (!reviewVideo) return;
    const reason = $("reject-reason").value.trim();
    setText("review-error", "");
    if (!approve && !reason) {
      setText("review-error", "Give a reason for rejecting.");
      $("reject-reason").focus();
      return;
    }
    const body = approve ? {} : { reason };
    for (const id of ["approve", "reject"]) $(id).disabled = true;
    try {
      const summary = await api(`videos/${enc(reviewVideo.id)}/${approve ? "approve" : "reject"}`, { method: "POST", body });
      reviewVideo = { ...reviewVideo, ...summary };
      renderReviewState(summary); // the answer is the new state: shown at once
      renderPublishing(reviewVideo); // approving may have queued posts (auto_post)
      setBanner(`Video ${summary.id} ${summary.review_status}.`);
      followPublishing(summary.id);
    } catch (exc) {
      if (exc.status === 401) return;
      setText("review-error", exc.message);
      renderReviewState(reviewVideo);
    }
  }

  // === publishing ===============================================================================
  // An approved video is published with POST /videos/{id}/publish, one platform per button; the
  // api answers 202 with the video, and asking again is safe (a platform in flight or already
  // published is left alone). While any publication is queued, uploading or processing, the
  // view asks for the video again every few seconds and stops when none is. The numbers read
  // after publishing are drawn as inline SVG: no library, so the page works offline and the CSP
  // needs nothing more.

  const PLATFORMS = ["youtube", "tiktok"];
  const PLATFORM_NAMES = { youtube: "YouTube", tiktok: "TikTok" };
  const IN_FLIGHT = new Set(["queued", "uploading", "processing"]);
  const PUBLISH_POLL_MS = 3000;
  const METRICS = [
    ["views", "Views"],
    ["likes", "Likes"],
    ["comments", "Comments"],
  ];
  // What to do, for the publish errors whose answer carries no hint of its own.
  const PUBLISH_HINTS = {
    video_not_approved: "Only an approved video is published: see its review above.",
    video_not_ready: "The video is not finished yet: wait for its job to complete.",
    video_not_found: "The video is gone or not finished: go back to the list.",
    platform_not_supported: "Publish with the YouTube or TikTok button.",
    invalid_publish_at: "Pick a time in the future.",
    queue_unavailable: "Nothing was lost: ask again, publishing is safe to repeat.",
    network: "Check the connection, then ask again: publishing is safe to repeat.",
  };

  const publishing = { busy: false, shown: null, metricsKey: null, metricsAsk: 0 };

  const platformName = (platform) => PLATFORM_NAMES[platform] || String(platform);
  const publicationOf = (video, platform) => (video.publications || []).find((p) => p.platform === platform);
  const inFlight = (video) => Boolean(video) && (video.publications || []).some((p) => IN_FLIGHT.has(p.status));
  const number = (value) => Number(value || 0).toLocaleString();

  function shortWhen(iso) {
    const date = new Date(iso);
    if (!iso || Number.isNaN(date.getTime())) return iso || "–";
    return date.toLocaleString(undefined, { dateStyle: "short", timeStyle: "short" });
  }

  /** The URL when it is a web address (a platform's post), else null: never a javascript: link. */
  function webUrl(url) {
    try {
      const parsed = new URL(String(url));
      return parsed.protocol === "https:" || parsed.protocol === "http:" ? parsed.href : null;
    } catch (_) {
      return null;
    }
  }

  function externalLink(url, text, className) {
    const href = webUrl(url);
    if (!href) return el("span", { className: "hint", text: `${text}: ${url}` });
    return el(
      "a",
      { href, target: "_blank", rel: "noopener noreferrer", className },
      text,
      el("span", { className: "sr-only", text: " (opens in a new tab)" }),
    );
  }

  // --- the publish panel ---

  /** Why this video cannot be published at all (its review), or null. */
  function reviewBlock(video) {
    if (!video) return "Loading the video…";
    if (video.review_status === "approved") return null;
    if (video.review_status === "rejected") return "Not publishable: the video was rejected.";
    return "Not publishable yet: approve the video first.";
  }

  function platformBlock(video, platform) {
    const pub = publicationOf(video, platform);
    if (!pub) return null;
    if (pub.status === "published") return `${platformName(platform)}: already published.`;
    if (IN_FLIGHT.has(pub.status)) return `${platformName(platform)}: ${pub.status}, wait for it to finish.`;
    return null;
  }

  function updatePublishControls() {
    const video = reviewVideo;
    const general = reviewBlock(video);
    const reasons = general ? [general] : [];
    for (const platform of PLATFORMS) {
      const why = general ? null : platformBlock(video, platform);
      if (why) reasons.push(why);
      $(`publish-${platform}`).disabled = publishing.busy || Boolean(general || why);
    }
    $("publish-privacy").disabled = publishing.busy || Boolean(general);
    $("publish").setAttribute("aria-busy", String(publishing.busy));
    setText("publish-reason", reasons.join(" "));
  }

  function publicationTimes(pub) {
    const parts = [`asked ${when(pub.requested_at)} (${pub.requested_by})`];
    if (pub.publish_at) parts.push(`scheduled for ${when(pub.publish_at)}`);
    if (pub.published_at) parts.push(`live since ${when(pub.published_at)}`);
    else parts.push(`updated ${when(pub.updated_at)}`);
    if (pub.attempts) parts.push(`${pub.attempts} attempt${pub.attempts === 1 ? "" : "s"}`);
    return parts.join(" · ");
  }

  function publicationItem(pub) {
    const name = platformName(pub.platform);
    const li = el(
      "li",
      { className: "publication", "data-platform": pub.platform, "data-status": pub.status },
      el(
        "div",
        { className: "pub-head" },
        el("strong", { text: name }),
        el("span", { className: `badge pub-${pub.status}`, text: pub.status }),
        el("span", { className: "hint", text: pub.privacy }),
      ),
    );
    if (pub.status === "published") {
      li.append(el("p", { className: "pub-link" }, pub.url ? externalLink(pub.url, `Open on ${name}`) : el("span", { className: "hint", text: "No link yet." })));
    }
    if (pub.privacy_note) li.append(el("p", { className: "hint privacy-note" }, el("strong", { text: "Privacy: " }), pub.privacy_note));
    if (pub.error) {
      li.append(
        el(
          "div",
          { className: "pub-error" },
          el("p", { className: "error pub-error-message", text: pub.error.message }),
          el("p", { className: "hint pub-error-hint", text: pub.error.hint }),
        ),
      );
    }
    li.append(el("p", { className: "hint small", text: publicationTimes(pub) }));
    return li;
  }

  function renderPublishing(video) {
    const badge = $("video-status");
    badge.textContent = video.status;
    badge.className = `badge video-${video.status}`;
    $("view-review").dataset.video = video.status;
    const pubs = video.publications || [];
    const shown = JSON.stringify(pubs);
    if (shown !== publishing.shown) {
      // Only a change is rendered: the list is a live region, and polls repeat the same answer.
      publishing.shown = shown;
      $("publications").replaceChildren(...pubs.map(publicationItem));
    }
    show($("publications-empty"), pubs.length === 0);
    updatePublishControls();
    followMetrics(video);
  }

  /** A summary (or detail) of the video on this page, from a POST's answer or a poll. */
  function applyVideo(summary) {
    if (!reviewVideo || reviewVideo.id !== summary.id) return;
    reviewVideo = { ...reviewVideo, ...summary };
    renderReviewState(reviewVideo);
    renderPublishing(reviewVideo);
  }

  function clearPublishView() {
    publishing.shown = null;
    publishing.metricsKey = null;
    publishing.metricsAsk += 1;
    $("publications").replaceChildren();
    $("metrics").replaceChildren();
    $("publish-privacy").value = "private";
    for (const id of ["publish-error", "metrics-error"]) show($(id), false);
    setText("publish-progress", "");
    updatePublishControls();
  }

  function showPublishError(exc) {
    const hint = exc.hint || PUBLISH_HINTS[exc.code] || (exc.status >= 500 ? "Ask again in a moment: publishing is safe to repeat." : "");
    $("publish-error-message").textContent = `Not published: ${exc.message}`;
    setText("publish-error-hint", hint);
    show($("publish-error"), true);
  }

  async function refreshPublishing(videoId) {
    const video = await api(`videos/${enc(videoId)}`);
    applyVideo(video);
    return inFlight(reviewVideo) ? PUBLISH_POLL_MS : null;
  }

  /** Polls the video while a publication is in flight (the answer just shown is the first). */
  function followPublishing(videoId) {
    if (inFlight(reviewVideo)) startLoop(() => refreshPublishing(videoId), PUBLISH_POLL_MS);
  }

  /** The review page's loop: the whole video once, then only its publications while they move. */
  function reviewLoop(videoId) {
    let loaded = false;
    return async () => {
      if (loaded) return refreshPublishing(videoId);
      await loadReview(videoId);
      loaded = true;
      return inFlight(reviewVideo) ? PUBLISH_POLL_MS : null;
    };
  }

  async function publishTo(platform) {
    const video = reviewVideo;
    if (!video || publishing.busy) return;
    const privacy = $("publish-privacy").value;
    publishing.busy = true;
    show($("publish-error"), false);
    setText("publish-progress", `Asking to publish to ${platformName(platform)} (${privacy})…`);
    updatePublishControls();
    try {
      const summary = await api(`videos/${enc(video.id)}/publish`, { method: "POST", body: { platforms: [platform], privacy } });
      setText("publish-progress", `Asked to publish to ${platformName(platform)} (${privacy}).`);
      publishing.busy = false;
      applyVideo(summary);
      if (reviewVideo && reviewVideo.id === video.id) followPublishing(video.id);
    } catch (exc) {
      if (exc.status === 401) return;
      setText("publish-progress", "");
      showPublishError(exc);
      // The page may be out of date (reviewed or published elsewhere): show where it stands.
      if (reviewVideo && reviewVideo.id === video.id && exc.status !== 0) startLoop(() => refreshPublishing(video.id));
    } finally {
      publishing.busy = false;
      updatePublishControls();
    }
  }

  // --- the numbers after publishing ---

  const SVG_NS = "http://www.w3.org/2000/svg";
  const CHART = { width: 320, label: 92, right: 12, band: 46, top: 4, axis: 20 };

  function svg(tag, attrs, ...children) {
    const node = document.createElementNS(SVG_NS, tag);
    for (const [name, value] of Object.entries(attrs || {})) node.setAttribute(name, String(value));
    for (const child of children) node.append(child instanceof Node ? child : document.createTextNode(String(child)));
    return node;
  }

  /** Asks for the numbers when the video's live posts change (readings come hours apart). */
  function followMetrics(video) {
    const pubs = video.publications || [];
    const key = `${video.id}|${pubs.map((p) => `${p.platform}:${Boolean(p.published_at)}`).join(",")}`;
    if (key === publishing.metricsKey) return;
    publishing.metricsKey = key;
    if (!pubs.length) {
      publishing.metricsAsk += 1;
      $("metrics").replaceChildren(el("p", { className: "hint", text: "Not published yet: there is nothing to count." }));
      return;
    }
    loadMetrics(video.id);
  }

  async function loadMetrics(videoId) {
    publishing.metricsAsk += 1;
    const ask = publishing.metricsAsk;
    try {
      const data = await api(`videos/${enc(videoId)}/metrics`);
      if (ask !== publishing.metricsAsk) return; // a newer question, or another page
      show($("metrics-error"), false);
      $("metrics").replaceChildren(...(data.series || []).map(seriesFigure));
    } catch (exc) {
      if (exc.status === 401 || ask !== publishing.metricsAsk) return;
      publishing.metricsKey = null; // asked again on the next render
      setText("metrics-error", `The numbers could not be read: ${exc.message}`);
    }
  }

  function nextReading(series, count) {
    if (!series.published_at) return "Not live yet: readings start once it is published.";
    if (series.next_reading_at) {
      return count ? `Next reading due ${when(series.next_reading_at)}.` : `No readings yet: the first is due ${when(series.next_reading_at)}.`;
    }
    return count ? "All readings taken." : "No readings yet.";
  }

  function seriesFigure(series) {
    const name = platformName(series.platform);
    const readings = series.readings || [];
    const caption = el("figcaption", {}, el("strong", { text: name }));
    if (series.url) caption.append(" · ", externalLink(series.url, "the post"));
    const figure = el("figure", { className: "metric-series", "data-platform": series.platform, "data-readings": String(readings.length) }, caption);
    if (readings.length) figure.append(chart(name, readings), readingsTable(name, readings));
    figure.append(el("p", { className: "hint next-reading", text: nextReading(series, readings.length) }));
    return figure;
  }

  /** One band per number, each on its own scale (views outnumber comments a hundredfold), one
   *  point per reading, evenly spaced and labelled with its checkpoint. */
  function chart(name, readings) {
    const { width, label, right, band, top, axis } = CHART;
    const height = top + band * METRICS.length + axis;
    const span = width - label - right;
    const xOf = (i) => label + (readings.length === 1 ? span / 2 : (i * span) / (readings.length - 1));
    const said = METRICS.map(([metric, title]) => `${title}: ${readings.map((r) => `${r.checkpoint} ${number(r[metric])}`).join(", ")}`);
    const root = svg("svg", {
      class: "chart",
      viewBox: `0 0 ${width} ${height}`,
      role: "img",
      "aria-label": `${name}. ${said.join(". ")}.`,
      "data-points": readings.length,
    });
    METRICS.forEach(([metric, title], row) => root.append(chartBand(readings, metric, title, top + row * band, xOf)));
    readings.forEach((r, i) => root.append(svg("text", { class: "chart-x", x: xOf(i).toFixed(1), y: height - 5, "text-anchor": "middle" }, r.checkpoint)));
    return root;
  }

  function chartBand(readings, metric, title, y0, xOf) {
    const { width, label, right, band } = CHART;
    const values = readings.map((r) => Number(r[metric]) || 0);
    const max = Math.max(1, ...values);
    const yOf = (value) => (y0 + band - 8 - (value / max) * (band - 18)).toFixed(1);
    const group = svg(
      "g",
      { class: `chart-band metric-${metric}`, "data-metric": metric },
      svg("line", { class: "chart-base", x1: label, x2: width - right, y1: yOf(0), y2: yOf(0) }),
      svg("text", { class: "chart-label", x: 0, y: y0 + 16 }, title),
      svg("text", { class: "chart-value", x: 0, y: y0 + 33 }, number(values[values.length - 1])),
    );
    if (values.length > 1) {
      group.append(svg("polyline", { class: "chart-line", points: values.map((v, i) => `${xOf(i).toFixed(1)},${yOf(v)}`).join(" ") }));
    }
    readings.forEach((r, i) => {
      const point = svg("circle", { class: "chart-point", cx: xOf(i).toFixed(1), cy: yOf(values[i]), r: 3.5, "data-metric": metric, "data-checkpoint": r.checkpoint, "data-value": values[i] });
      point.append(svg("title", {}, `${title} after ${r.checkpoint}: ${number(values[i])} (read ${shortWhen(r.read_at)})`));
      group.append(point);
    });
    return group;
  }

  function readingsTable(name, readings) {
    const head = [["After"], ["Read", "read-at"], ...METRICS.map(([, title]) => [title])];
    return el(
      "div",
      { className: "scroll" },
      el(
        "table",
        { className: "readings" },
        el("caption", { className: "sr-only", text: `${name}: every reading` }),
        el("thead", {}, el("tr", {}, ...head.map(([text, className]) => el("th", { scope: "col", className, text })))),
        el(
          "tbody",
          {},
          ...readings.map((r) =>
            el("tr", {}, el("th", { scope: "row", text: r.checkpoint }), el("td", { className: "read-at", text: shortWhen(r.read_at) }), ...METRICS.map(([metric]) => el("td", { className: "num", text: number(r[metric]) }))),
          ),
        ),
      ),
    );
  }

  // --- videos list ------------------------------------------------------------------------------

  const VIDEO_LIST_LIMIT = 50;
  const MAX_VIDEO_PAGES = 5; // a filtered page may come back short with a cursor: keep going

  async function refreshVideos() {
    const status = $("video-filter").value;
    const videos = [];
    let cursor = null;
    for (let page = 0; page < MAX_VIDEO_PAGES && videos.length < VIDEO_LIST_LIMIT; page += 1) {
      const query = new URLSearchParams({ limit: String(VIDEO_LIST_LIMIT - videos.length) });
      if (status) query.set("status", status);
      if (cursor) query.set("cursor", cursor);
      const data = await api(`videos?${query}`);
      videos.push(...data.videos);
      cursor = data.next_cursor;
      if (!cursor) break;
    }
    if ($("video-filter").value !== status) return IDLE_MS; // changed meanwhile: a new loop runs
    renderVideos(videos, Boolean(cursor));
    return videos.some(inFlight) ? PUBLISH_POLL_MS : IDLE_MS;
  }

  function renderVideos(videos, more) {
    $("video-list").replaceChildren(...videos.map(videoItem));
    const status = $("video-filter").value;
    $("video-list-empty").textContent = status ? `No ${status} videos.` : "No videos yet.";
    show($("video-list-empty"), videos.length === 0);
    show($("video-list-more"), more);
  }

  function videoItem(video) {
    const href = `#/videos/${enc(video.id)}`;
    const pubs = (video.publications || []).map((p) => el("span", { className: `badge pub-${p.status}`, "data-platform": p.platform, text: `${platformName(p.platform)}: ${p.status}` }));
    const facts = [video.duration_seconds ? `${video.duration_seconds.toFixed(1)} s` : "", `finished ${when(video.completed_at)}`].filter(Boolean);
    const links = [el("a", { href, className: "button primary", text: video.status === "generated" ? "Review" : "Open" })];
    if (video.published_url && webUrl(video.published_url)) links.unshift(externalLink(video.published_url, "Watch", "button"));
    const li = el(
      "li",
      { className: "job video", "data-video-id": video.id, "data-status": video.status },
      el("div", { className: "job-head" }, el("a", { href, className: "theme", text: video.theme }), el("span", { className: `badge video-${video.status}`, text: video.status })),
    );
    if (pubs.length) li.append(el("p", { className: "pub-badges" }, el("span", { className: "sr-only", text: "Publications: " }), ...pubs));
    li.append(el("div", { className: "job-foot" }, el("span", { className: "hint", text: facts.join(" · ") }), el("span", { className: "links" }, ...links)));
    if (video.review_reason) li.append(el("p", { className: "hint small", text: `Reason: ${video.review_reason}` }));
    return li;
  }

  // --- views and sign-in ------------------------------------------------------------------------

  let startForm = null; // createStartForm's answer, made in boot()

  function route() {
    if (!token()) return;
    const hash = location.hash || "#/";
    const job = hash.match(/^#\/jobs\/([A-Za-z0-9_-]+)$/);
    const video = hash.match(/^#\/videos\/([A-Za-z0-9_-]+)$/);
    const videos = /^#\/videos\/?$/.test(hash);
    show($("view-list"), !job && !video && !videos);
    show($("view-detail"), Boolean(job));
    show($("view-review"), Boolean(video));
    show($("view-videos"), videos);
    const here = videos || video ? "nav-videos" : "nav-jobs";
    for (const id of ["nav-jobs", "nav-videos"]) {
      if (id === here) $(id).setAttribute("aria-current", "page");
      else $(id).removeAttribute("aria-current");
    }
    setBanner("");
    if (job) {
      detailJob = null;
      startLoop(() => refreshDetail(job[1]));
    } else if (video) {
      reviewVideo = null;
      const player = $("player");
      player.removeAttribute("src");
      delete player.dataset.src;
      clearPublishView();
      startLoop(reviewLoop(video[1]));
    } else if (videos) {
      startLoop(refreshVideos);
    } else {
      startForm.prepare();
      startLoop(refreshList);
    }
  }

  function showApp() {
    show($("signin"), false);
    show($("app"), true);
    show($("sign-out"), true);
  }

  function signOut(message) {
    stopLoop();
    sessionStorage.removeItem(TOKEN_KEY);
    show($("app"), false);
    show($("sign-out"), false);
    show($("signin"), true);
    setText("signin-error", message || "");
    $("token").focus();
  }

  async function signIn(event) {
    event.preventDefault();
    const value = $("token").value.trim();
    if (!value) return;
    $("token").value = "";
    sessionStorage.setItem(TOKEN_KEY, value);
    setText("signin-error", "");
    try {
      await api("jobs?limit=1");
    } catch (exc) {
      if (exc.status !== 401) {
        sessionStorage.removeItem(TOKEN_KEY);
        setText("signin-error", `Cannot sign in: ${exc.message}`);
      }
      return;
    }
    showApp();
    route();
  }

  function boot() {
    $("signin-form").addEventListener("submit", signIn);
    $("sign-out").addEventListener("click", () => signOut(""));
    startForm = createStartForm({
      onAccepted(accepted) {
        setBanner(`Job ${accepted.job_id} accepted.`);
        $("status-filter").value = "";
        startLoop(refreshList);
      },
    });
    $("status-filter").addEventListener("change", () => startLoop(refreshList));
    $("video-filter").addEventListener("change", () => startLoop(refreshVideos));
    for (const platform of PLATFORMS) $(`publish-${platform}`).addEventListener("click", () => publishTo(platform));
    $("retry").addEventListener("click", retryJob);
    $("approve").addEventListener("click", () => decide(true));
    $("reject").addEventListener("click", () => decide(false));
    window.addEventListener("hashchange", route);
    if (token()) {
      showApp();
      route();
    } else {
      signOut("");
    }
  }

  boot();
})();
