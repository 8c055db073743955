// Resumable chunked uploads and live job progress; without this file the forms post whole files.
(function () {
  "use strict";
  var csrf = function (form) { return form.querySelector("input[name=csrf_token]").value; };

  function call(method, url, body, form) {
    return fetch(url, {
      method: method, body: body, credentials: "same-origin",
      headers: { "X-CSRF-Token": csrf(form) }
    }).then(function (r) {
      return r.json().catch(function () { return {}; }).then(function (data) {
        data._status = r.status; return data;
      });
    });
  }

  function upload(form) {
    var input = form.querySelector("input[type=file]");
    var file = input.files[0];
    if (!file) { return; }
    var chunk = parseInt(form.dataset.chunk, 10);
    var bar = form.querySelector(".upload-progress");
    var state = form.querySelector(".upload-state");
    var fields = new FormData(form);
    fields.delete("file");
    fields.set("filename", file.name);
    fields.set("size", String(file.size));
    bar.hidden = false;
    state.textContent = "starting…";
    var retries = 0;
    function fail(message) { state.textContent = message; state.classList.add("error"); }
    function send(id, offset) {
      if (offset >= file.size) {
        state.textContent = "checking…";
        return call("POST", "/api/uploads/" + id + "/finish", null, form).then(function (d) {
          if (d._status !== 200) { return fail(d.detail || "upload refused"); }
          state.textContent = "uploaded (SHA-256 " + d.sha256.slice(0, 16) + "…); job queued";
          window.location.assign(d.jobs);
        });
      }
      return call("PUT", "/api/uploads/" + id + "?offset=" + offset,
                  file.slice(offset, Math.min(file.size, offset + chunk)), form)
        .then(function (d) {
          if (d._status === 200 || d._status === 409) {
            retries = 0;
            bar.value = Math.floor(100 * d.offset / file.size);
            state.textContent = Math.floor(d.offset / 1048576) + " of " +
              Math.ceil(file.size / 1048576) + " MiB";
            return send(id, d.offset);
          }
          throw new Error(d.detail || ("HTTP " + d._status));
        })
        .catch(function (err) {  // dropped connection: ask where the server is and go on
          if (++retries > 20) { return fail("upload stopped: " + err.message); }
          state.textContent = "connection lost, resuming…";
          return new Promise(function (ok) { setTimeout(ok, Math.min(30000, 500 * retries)); })
            .then(function () { return call("GET", "/api/uploads/" + id, null, form); })
            .then(function (d) { return send(id, d.offset || 0); }, function () { return send(id, offset); });
        });
    }
    call("POST", "/api/cases/" + encodeURIComponent(form.dataset.case) + "/uploads", fields, form)
      .then(function (d) {
        if (d._status !== 200) { return fail(d.detail || "upload refused"); }
        return send(d.upload, 0);
      }, function () { fail("cannot reach the server"); });
  }

  function refresh(table) {
    fetch("/api/cases/" + encodeURIComponent(table.dataset.case) + "/jobs", { credentials: "same-origin" })
      .then(function (r) { return r.json(); })
      .then(function (data) {
        var changed = false;
        data.jobs.forEach(function (job) {
          var row = table.querySelector("tr[data-job='" + job.id + "']");
          if (!row) { changed = true; return; }
          if (row.dataset.status !== job.status) { changed = changed || job.finished; }
          row.dataset.status = job.status;
          row.querySelector(".status").textContent = job.status;
          var note = job.error || (job.note + (!job.finished && job.steps > 1 ?
            " (step " + (job.step + 1) + " of " + job.steps + ")" : ""));
          var cell = row.querySelector(".note");
          cell.textContent = note;
          cell.classList.toggle("error", Boolean(job.error));
        });
        if (changed) { window.location.reload(); return; }
        if (data.running) { setTimeout(function () { refresh(table); }, 1000); }
      });
  }

  document.addEventListener("DOMContentLoaded", function () {
    Array.prototype.forEach.call(document.querySelectorAll("form.upload"), function (form) {
      form.addEventListener("submit", function (event) { event.preventDefault(); upload(form); });
    });
    var table = document.getElementById("jobs");
    if (table && table.dataset.running === "yes") { setTimeout(function () { refresh(table); }, 1000); }
  });
})();
