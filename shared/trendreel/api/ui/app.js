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
    constructor(status, code, message, details) {
      super(message);
      this.status = status;
      this.code = code;
      this.details = details;
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
      throw new ApiError(
        response.status,
        error.code || `http_${response.status}`,
        error.message || response.statusText || `HTTP ${response.status}`,
        error.details,
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

  function startLoop(refresh) {
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
    tick();
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

  // --- new job form -----------------------------------------------------------------------------

  function clearFormErrors() {
    for (const id of ["theme", "config"]) {
      $(id).removeAttribute("aria-invalid");
      setText(`${id}-error`, "");
    }
    setText("new-job-error", "");
  }

  function fieldFor(name) {
    if (name === "theme" || name.startsWith("theme.")) return "theme";
    if (name.startsWith("config")) return "config"; // config.*, config_path
    return null;
  }

  function showFormErrors(exc) {
    const problems = [];
    if (Array.isArray(exc.details)) {
      for (const p of exc.details) problems.push({ field: String(p.field || ""), message: `${p.field}: ${p.message}` });
    } else if (exc.details && exc.details.field) {
      problems.push({ field: String(exc.details.field), message: exc.message });
    }
    const messages = { theme: [], config: [], other: [] };
    for (const p of problems) messages[fieldFor(p.field) || "other"].push(p.message);
    if (!problems.length) messages.other.push(exc.message);
    for (const id of ["theme", "config"]) {
      if (messages[id].length) {
        $(id).setAttribute("aria-invalid", "true");
        setText(`${id}-error`, messages[id].join("; "));
      }
    }
    if (messages.other.length) setText("new-job-error", messages.other.join("; "));
  }

  async function submitJob(event) {
    event.preventDefault();
    clearFormErrors();
    const body = {};
    const theme = $("theme").value.trim();
    if (theme) body.theme = theme;
    const text = $("config").value.trim();
    if (text) {
      let parsed;
      try {
        parsed = JSON.parse(text);
      } catch (exc) {
        $("config").setAttribute("aria-invalid", "true");
        setText("config-error", `not valid JSON: ${exc.message}`);
        return;
      }
      if (parsed === null || typeof parsed !== "object" || Array.isArray(parsed)) {
        $("config").setAttribute("aria-invalid", "true");
        setText("config-error", "the config must be a JSON object");
        return;
      }
      body.config = parsed;
    }
    const button = $("new-job-submit");
    button.disabled = true;
    try {
      const accepted = await api("generate", { method: "POST", body });
      $("new-job-form").reset();
      setBanner(`Job ${accepted.job_id} accepted.`);
      $("status-filter").value = "";
      startLoop(refreshList);
    } catch (exc) {
      if (exc.status !== 401) showFormErrors(exc);
    } finally {
      button.disabled = false;
    }
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
    return null; // nothing moves on its own here
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
      setBanner(`Video ${summary.id} ${summary.review_status}.`);
    } catch (exc) {
      if (exc.status === 401) return;
      setText("review-error", exc.message);
      renderReviewState(reviewVideo);
    }
  }

  // --- views and sign-in ------------------------------------------------------------------------

  function route() {
    if (!token()) return;
    const hash = location.hash || "#/";
    const job = hash.match(/^#\/jobs\/([A-Za-z0-9_-]+)$/);
    const video = hash.match(/^#\/videos\/([A-Za-z0-9_-]+)$/);
    show($("view-list"), !job && !video);
    show($("view-detail"), Boolean(job));
    show($("view-review"), Boolean(video));
    setBanner("");
    if (job) {
      detailJob = null;
      startLoop(() => refreshDetail(job[1]));
    } else if (video) {
      reviewVideo = null;
      const player = $("player");
      player.removeAttribute("src");
      delete player.dataset.src;
      startLoop(() => loadReview(video[1]));
    } else {
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
    $("new-job-form").addEventListener("submit", submitJob);
    $("status-filter").addEventListener("change", () => startLoop(refreshList));
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
