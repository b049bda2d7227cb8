// ragd web UI: the documents page. Plain JavaScript, no build step, no dependencies.
//
// The upload flow is the one in docs/api.md ("The upload flow in a browser"):
//   1. POST /v1/bots/{bot}/documents {filename, content_type, size}  -> document + upload URL
//   2. PUT the file to upload.url with upload.method and exactly upload.headers (no API key: the
//      presigned URL is the permission)
//   3. GET /v1/bots/{bot}/documents/{id} until indexed or failed
//
// Every string that comes from the server or from a file name reaches the page through
// textContent (never innerHTML). The API key lives in sessionStorage only and goes out only in the
// Authorization header of same-origin API calls.
"use strict";

(() => {
  const KEY_STORAGE = "ragd.apiKey";
  const BOT_STORAGE = "ragd.bot";
  const POLL_MS = 500;
  const PAGE_SIZE = 50;
  const WORKING = new Set(["queued", "parsing", "embedding"]);
  // Sent as the file's type when the browser names one of these; anything else goes out as
  // application/octet-stream and ragd decides by the file name's extension.
  const KNOWN_TYPES = new Set([
    "application/pdf", "text/html", "application/xhtml+xml", "text/markdown", "text/x-markdown",
    "text/plain", "text/csv", "application/csv", "text/tab-separated-values",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
  ]);

  const el = (id) => document.getElementById(id);
  const ui = {
    message: el("message"),
    whoami: el("whoami"),
    keyForm: el("key-form"),
    keyInput: el("api-key"),
    connect: el("key-connect"),
    forget: el("key-forget"),
    workspace: el("workspace"),
    bot: el("bot"),
    refresh: el("refresh"),
    drop: el("drop"),
    files: el("files"),
    rows: el("document-rows"),
    empty: el("empty"),
    more: el("more"),
  };

  const state = {
    key: null,
    bot: "",
    generation: 0,  // bumped on every bot switch; stale work checks it and stops
    rows: [],       // newest first: {doc, filename, localStatus, localError, upload, view}
    next: null,     // "after" cursor of the document list
    polling: false,
  };

  class ApiError extends Error {
    constructor(status, code, message) {
      super(message);
      this.status = status;
      this.code = code;
    }
  }

  // ----- messages -----

  function showMessage(text, kind = "error") {
    ui.message.textContent = text;
    ui.message.className = kind === "info" ? "message info" : "message";
    ui.message.hidden = false;
  }

  function clearMessage() {
    ui.message.hidden = true;
    ui.message.textContent = "";
  }

  // ----- API -----

  async function api(path, init = {}) {
    const headers = new Headers(init.headers || {});
    headers.set("Authorization", `Bearer ${state.key}`);
    let res;
    try {
      res = await fetch(path, {...init, headers, cache: "no-store", credentials: "omit"});
    } catch (e) {
      throw new ApiError(0, "network", `Cannot reach ragd (${e.message}).`);
    }
    const text = res.status === 204 ? "" : await res.text();
    let body = null;
    try {
      body = text ? JSON.parse(text) : null;
    } catch (e) {
      body = null;
    }
    if (!res.ok) {
      const err = body && body.error ? body.error : {};
      const error = new ApiError(res.status, err.code || `http_${res.status}`,
                                 err.message || `HTTP ${res.status}`);
      if (res.status === 401 && state.key !== null) signOut(error);
      throw error;
    }
    return body;
  }

  const botPath = (bot) => `/v1/bots/${encodeURIComponent(bot)}`;
  const docPath = (bot, id) => `${botPath(bot)}/documents/${encodeURIComponent(id)}`;

  // ----- the key -----

  function keyRejectedText(error) {
    return `The API key was not accepted: ${error.message}`;
  }

  function showKeyForm(show) {
    ui.keyInput.hidden = !show;
    ui.connect.hidden = !show;
    ui.whoami.hidden = show;
    ui.forget.hidden = show;
  }

  function signOut(error) {
    state.key = null;
    state.generation++;
    sessionStorage.removeItem(KEY_STORAGE);
    ui.workspace.hidden = true;
    showKeyForm(true);
    if (error) showMessage(keyRejectedText(error));
  }

  async function connect(key) {
    clearMessage();
    state.key = key;
    let me;
    try {
      me = await api("/v1/me");
    } catch (e) {
      if (e.status !== 401) {
        state.key = null;
        showMessage(e.message);
      }
      return;
    }
    sessionStorage.setItem(KEY_STORAGE, key);
    ui.keyInput.value = "";
    ui.whoami.textContent = `Connected with the key "${me.name}" (${me.role}).`;
    showKeyForm(false);
    await loadBots();
  }

  // ----- bots -----

  async function loadBots() {
    let bots;
    try {
      bots = (await api("/v1/bots")).bots || [];
    } catch (e) {
      if (e.status !== 401) showMessage(`Cannot list the bots: ${e.message}`);
      return;
    }
    ui.bot.replaceChildren();
    for (const bot of bots) {
      const option = document.createElement("option");
      option.value = bot.key;
      option.textContent = bot.title && bot.title !== bot.key ? `${bot.title} (${bot.key})` : bot.key;
      ui.bot.append(option);
    }
    ui.workspace.hidden = false;
    if (bots.length === 0) {
      showMessage("This key cannot read any bot yet. Create one with POST /v1/bots.", "info");
      selectBot("");
      return;
    }
    const remembered = sessionStorage.getItem(BOT_STORAGE);
    const chosen = bots.some((b) => b.key === remembered) ? remembered : bots[0].key;
    ui.bot.value = chosen;
    selectBot(chosen);
  }

  function selectBot(bot) {
    state.bot = bot;
    state.generation++;
    state.rows = [];
    state.next = null;
    ui.rows.replaceChildren();
    ui.files.disabled = bot === "";
    if (bot !== "") sessionStorage.setItem(BOT_STORAGE, bot);
    updateEmpty();
    if (bot !== "") loadDocuments(false);
  }

  // ----- the document list -----

  async function loadDocuments(more) {
    const generation = state.generation;
    const bot = state.bot;
    let query = `?limit=${PAGE_SIZE}`;
    if (more && state.next) query += `&after=${encodeURIComponent(state.next)}`;
    let page;
    try {
      page = await api(`${botPath(bot)}/documents${query}`);
    } catch (e) {
      if (e.status !== 401) showMessage(`Cannot list the documents of ${bot}: ${e.message}`);
      return;
    }
    if (generation !== state.generation) return;
    if (!more) {
      // Keep uploads in flight; replace everything the server already knows.
      state.rows = state.rows.filter((r) => !r.doc || r.localStatus);
      for (const child of [...ui.rows.children]) {
        if (!state.rows.some((r) => r.view.tr === child)) child.remove();
      }
    }
    for (const doc of page.documents || []) {
      if (state.rows.some((r) => r.doc && r.doc.document_id === doc.document_id)) continue;
      const row = newRow(doc.filename, doc);
      state.rows.push(row);
      ui.rows.append(row.view.tr);
      render(row);
    }
    state.next = page.next || null;
    ui.more.hidden = !state.next;
    updateEmpty();
    poll();
  }

  function updateEmpty() {
    ui.empty.hidden = state.bot === "" || state.rows.length > 0;
  }

  // ----- rows -----

  function cell(tr, className) {
    const td = document.createElement("td");
    if (className) td.className = className;
    tr.append(td);
    return td;
  }

  function span(parent, className) {
    const s = document.createElement("span");
    s.className = className;
    parent.append(s);
    return s;
  }

  function newRow(filename, doc) {
    const tr = document.createElement("tr");
    tr.className = "document";
    const nameCell = cell(tr, "name");
    const view = {
      tr,
      name: span(nameCell, "filename"),
      title: span(nameCell, "title"),
      error: span(nameCell, "error"),
    };
    view.status = span(cell(tr, ""), "status");
    const progressCell = cell(tr, "");
    view.bar = document.createElement("progress");
    progressCell.append(view.bar);
    view.progress = span(progressCell, "progress-text");
    view.chunks = cell(tr, "num chunks");
    view.size = cell(tr, "num size");
    view.remove = document.createElement("button");
    view.remove.type = "button";
    view.remove.className = "danger";
    cell(tr, "actions").append(view.remove);
    const row = {doc, filename, localStatus: "", localError: "", upload: null, view};
    view.remove.addEventListener("click", () => onRemove(row));
    return row;
  }

  function formatSize(bytes) {
    if (!Number.isFinite(bytes)) return "";
    if (bytes < 1024) return `${bytes} B`;
    if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KB`;
    return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
  }

  function render(row) {
    const v = row.view;
    const d = row.doc;
    const status = row.localStatus || (d ? d.status : "waiting");
    v.tr.dataset.status = status;
    if (d) v.tr.dataset.documentId = d.document_id;
    v.name.textContent = row.filename;
    v.title.textContent = d && d.title && d.title !== row.filename ? d.title : "";
    const error = row.localError || (d && d.error) || "";
    v.error.textContent = error;
    v.error.hidden = error === "";
    v.status.textContent = status === "upload_failed" ? "upload failed" : status;
    v.status.className = `status status-${status}`;

    let done = null;
    let total = null;
    let text = "";
    if (row.localStatus === "uploading" && row.upload) {
      done = row.upload.loaded;
      total = row.upload.total;
      text = `${formatSize(done)} of ${formatSize(total)} sent`;
    } else if (d && d.progress && d.progress.total > 0) {
      done = d.progress.done;
      total = d.progress.total;
      text = `${done} / ${total} ${d.progress.unit || ""}`.trim();
    }
    v.bar.hidden = total === null;
    if (total !== null) {
      v.bar.max = total;
      v.bar.value = Math.min(done, total);
    }
    v.progress.textContent = text;

    let chunks = "";
    if (d && d.status === "indexed") {
      chunks = d.duplicate_of ? "0 (duplicate)" : String(d.chunk_count);
    } else if (d && d.status === "embedding") {
      chunks = String(d.chunk_count);
    }
    v.chunks.textContent = chunks;
    v.size.textContent = formatSize(d ? d.size : row.size);

    v.remove.disabled = row.localStatus === "uploading" || row.localStatus === "waiting";
    if (!row.confirming) v.remove.textContent = d ? "Delete" : "Dismiss";
  }

  function dropRow(row) {
    state.rows = state.rows.filter((r) => r !== row);
    row.view.tr.remove();
    updateEmpty();
  }

  async function onRemove(row) {
    if (!row.doc) {
      dropRow(row);
      return;
    }
    if (!row.confirming) {
      // Two clicks delete: the first arms the button for a few seconds.
      row.confirming = true;
      row.view.remove.textContent = "Confirm delete";
      row.view.remove.classList.add("confirm");
      setTimeout(() => {
        row.confirming = false;
        row.view.remove.classList.remove("confirm");
        render(row);
      }, 4000);
      return;
    }
    row.view.remove.disabled = true;
    try {
      await api(docPath(state.bot, row.doc.document_id), {method: "DELETE"});
    } catch (e) {
      if (e.status !== 404) {
        row.view.remove.disabled = false;
        if (e.status !== 401) showMessage(`Cannot delete ${row.filename}: ${e.message}`);
        return;
      }
    }
    dropRow(row);
  }

  // ----- uploads -----

  function contentTypeFor(file) {
    return KNOWN_TYPES.has(file.type) ? file.type : "application/octet-stream";
  }

  // An S3 XML error (<Error><Code/><Message/>...</Error>) as one line.
  function s3ErrorText(xhr) {
    let code = "";
    let message = "";
    try {
      const xml = new DOMParser().parseFromString(xhr.responseText || "", "application/xml");
      code = (xml.querySelector("Error > Code") || {}).textContent || "";
      message = (xml.querySelector("Error > Message") || {}).textContent || "";
    } catch (e) {
      // not XML: fall through to the status line
    }
    const what = [xhr.status, code].filter(Boolean).join(" ");
    return `The upload was refused (${what})${message ? `: ${message}` : ""}`;
  }

  function unreachableText(url) {
    const target = new URL(url, location.href).origin;
    if (target === location.origin) return "The upload failed: the connection to ragd was lost.";
    // A cross-origin PUT needs CORS, which ragd's own upload endpoint does not answer.
    return `The browser could not send the file to ${target}, which is not this page's origin ` +
           `(${location.origin}). With ragd's own object store, open this page at ${target}/ui/ ` +
           "(server.public_url); with objects.store = s3, the bucket needs a CORS rule allowing " +
           `PUT with Content-Type from ${location.origin}.`;
  }

  function putFile(upload, file, onProgress) {
    return new Promise((resolve, reject) => {
      const xhr = new XMLHttpRequest();
      xhr.open(upload.method || "PUT", upload.url);
      for (const [name, value] of Object.entries(upload.headers || {})) {
        xhr.setRequestHeader(name, value);
      }
      xhr.upload.addEventListener("progress", (e) => {
        if (e.lengthComputable) onProgress(e.loaded, e.total);
      });
      xhr.addEventListener("load", () => {
        if (xhr.status >= 200 && xhr.status < 300) resolve();
        else reject(new Error(s3ErrorText(xhr)));
      });
      xhr.addEventListener("error", () => reject(new Error(unreachableText(upload.url))));
      xhr.addEventListener("abort", () => reject(new Error("The upload was aborted.")));
      xhr.send(file);
    });
  }

  async function uploadOne(row, file, bot, generation) {
    const stale = () => generation !== state.generation;
    row.localStatus = "uploading";
    row.upload = {loaded: 0, total: file.size};
    render(row);
    let created;
    try {
      created = await api(`${botPath(bot)}/documents`, {
        method: "POST",
        headers: {"Content-Type": "application/json"},
        body: JSON.stringify({filename: file.name, content_type: contentTypeFor(file),
                              size: file.size}),
      });
    } catch (e) {
      if (stale()) return;
      row.localStatus = "upload_failed";
      row.localError = e.message;
      render(row);
      return;
    }
    if (stale()) return;
    row.doc = created;
    render(row);
    try {
      await putFile(created.upload, file, (loaded, total) => {
        row.upload = {loaded, total};
        render(row);
      });
    } catch (e) {
      if (stale()) return;
      row.localStatus = "";
      row.localError = e.message;  // the document stays pending_upload
      render(row);
      return;
    }
    row.localStatus = "";
    row.upload = null;
    try {
      let doc = await api(docPath(bot, created.document_id));
      // ragd's own store queues ingestion on upload; with S3 it may not have heard of the object
      // yet (no event notification configured): ask for it.
      if (doc.status === "pending_upload") {
        doc = await api(`${docPath(bot, created.document_id)}/ingest`, {method: "POST"});
      }
      if (stale()) return;
      row.doc = doc;
    } catch (e) {
      if (stale()) return;
      row.localError = e.message;
    }
    render(row);
    poll();
  }

  async function uploadFiles(files) {
    if (state.bot === "" || files.length === 0) return;
    clearMessage();
    const bot = state.bot;
    const generation = state.generation;
    const queued = files.map((file) => {
      const row = newRow(file.name, null);
      row.size = file.size;
      row.localStatus = "waiting";
      state.rows.unshift(row);
      ui.rows.prepend(row.view.tr);
      render(row);
      return {row, file};
    });
    updateEmpty();
    // One at a time: the rows show what waits, the server's workers do the parsing in parallel.
    for (const {row, file} of queued) {
      if (generation !== state.generation) return;
      await uploadOne(row, file, bot, generation);
    }
  }

  // ----- status polling -----

  const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

  async function poll() {
    if (state.polling) return;
    state.polling = true;
    try {
      for (;;) {
        const working = state.rows.filter((r) => r.doc && !r.localStatus && WORKING.has(r.doc.status));
        if (working.length === 0 || state.key === null) return;
        await sleep(POLL_MS);
        const generation = state.generation;
        for (const row of working) {
          if (generation !== state.generation || !state.rows.includes(row)) continue;
          try {
            row.doc = await api(docPath(state.bot, row.doc.document_id));
            render(row);
          } catch (e) {
            if (e.status === 404) dropRow(row);
            else if (e.status === 401) return;
            // other errors: try again on the next round
          }
        }
      }
    } finally {
      state.polling = false;
    }
  }

  // ----- wiring -----

  ui.keyForm.addEventListener("submit", (e) => {
    e.preventDefault();
    const key = ui.keyInput.value.trim();
    if (key !== "") connect(key);
  });
  ui.forget.addEventListener("click", () => {
    signOut(null);
    clearMessage();
    ui.keyInput.focus();
  });
  ui.bot.addEventListener("change", () => {
    clearMessage();
    selectBot(ui.bot.value);
  });
  ui.refresh.addEventListener("click", () => {
    clearMessage();
    if (state.bot !== "") loadDocuments(false);
  });
  ui.more.addEventListener("click", () => loadDocuments(true));
  ui.files.addEventListener("change", () => {
    const files = [...ui.files.files];
    ui.files.value = "";  // choosing the same file again uploads it again
    uploadFiles(files);
  });
  ui.drop.addEventListener("dragover", (e) => {
    e.preventDefault();
    ui.drop.classList.add("over");
  });
  ui.drop.addEventListener("dragleave", () => ui.drop.classList.remove("over"));
  ui.drop.addEventListener("drop", (e) => {
    e.preventDefault();
    ui.drop.classList.remove("over");
    uploadFiles([...(e.dataTransfer ? e.dataTransfer.files : [])]);
  });

  const saved = sessionStorage.getItem(KEY_STORAGE);
  if (saved) connect(saved);
})();
