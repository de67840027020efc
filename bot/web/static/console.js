// Live conversation of one case: new messages arrive over a WebSocket; replies are sent
// with fetch (CSRF token in a header) and shown when the server has stored them.
(function () {
  "use strict";
  const conversation = document.getElementById("conversation");
  if (!conversation) return;
  const caseId = conversation.dataset.case;
  let after = conversation.dataset.after || "0";

  function mediaElement(message) {
    if (message.kind === "voice" || message.kind === "audio") {
      const audio = document.createElement("audio");
      audio.controls = true;
      audio.preload = "none";
      audio.src = message.media_url;
      return audio;
    }
    const link = document.createElement("a");
    link.href = message.media_url;
    if (message.kind === "photo") {
      const image = document.createElement("img");
      image.className = "media";
      image.src = message.media_url;
      image.alt = message.text;
      link.append(image);
    } else {
      link.className = "media";
      link.textContent = conversation.dataset.openFile || message.text;
    }
    return link;
  }

  function addMessage(message) {
    if (conversation.querySelector('[data-id="' + message.id + '"]')) return;
    const item = document.createElement("div");
    item.className = "message " + (message.from_person ? "person" : "mediator");
    item.dataset.id = message.id;
    const meta = document.createElement("span");
    meta.className = "meta";
    meta.textContent = message.at + (message.from_person ? "" : " · " + message.author);
    const text = document.createElement("p");
    text.dir = "auto";
    text.textContent = message.text;
    item.append(meta, text);
    if (message.media_url) item.append(mediaElement(message));
    conversation.append(item);
    item.scrollIntoView({ block: "end" });
    after = String(Math.max(Number(after), message.id));
  }

  function connect() {
    const scheme = location.protocol === "https:" ? "wss://" : "ws://";
    const socket = new WebSocket(
      scheme + location.host + "/console/cases/" + caseId + "/live?after=" + after
    );
    socket.onmessage = function (event) {
      const update = JSON.parse(event.data);
      update.messages.forEach(addMessage);
      const status = document.getElementById("status");
      if (status && update.status && update.status !== status.dataset.status) {
        location.reload();
      }
    };
    socket.onclose = function () { setTimeout(connect, 2000); };
  }
  connect();

  const canned = document.getElementById("canned");
  const text = document.getElementById("text");
  if (canned && text) {
    canned.addEventListener("change", function () {
      if (canned.value) text.value = canned.value;
    });
  }

  const form = document.getElementById("reply");
  if (form) {
    form.addEventListener("submit", async function (event) {
      event.preventDefault();
      const body = new URLSearchParams(new FormData(form));
      const response = await fetch(form.action, {
        method: "POST",
        headers: { "X-CSRF-Token": form.elements.csrf.value },
        body: body,
      });
      if (response.ok) {
        text.value = "";
        if (canned) canned.value = "";
      }
    });
  }
})();
