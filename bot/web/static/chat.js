// Web chat client: posts to /api/chat and shows the answers, buttons included.
// Message HTML comes from the server, which escapes all data and uses only <b> and <i>.
(function () {
  "use strict";
  const chat = document.getElementById("chat");
  const form = document.getElementById("composer");
  const input = document.getElementById("text");
  const locationButton = document.getElementById("share-location");

  function show(html, who) {
    const bubble = document.createElement("div");
    bubble.className = "msg " + who;
    bubble.innerHTML = html;
    chat.appendChild(bubble);
    chat.scrollTop = chat.scrollHeight;
    return bubble;
  }

  function showMine(text) {
    const bubble = document.createElement("div");
    bubble.className = "msg me";
    bubble.textContent = text;
    chat.appendChild(bubble);
  }

  function keyboard(bubble, rows) {
    const box = document.createElement("div");
    box.className = "keyboard";
    rows.forEach(function (row) {
      const line = document.createElement("div");
      line.className = "row";
      row.forEach(function (button) {
        let element;
        if (button.url) {
          element = document.createElement("a");
          element.href = button.url;
          element.target = "_blank";
          element.rel = "noopener";
        } else {
          element = document.createElement("button");
          element.type = "button";
          element.addEventListener("click", function () {
            showMine(button.label);
            send({ button: button.data });
          });
        }
        element.textContent = button.label;
        line.appendChild(element);
      });
      box.appendChild(line);
    });
    bubble.appendChild(box);
  }

  // a file the server sent (the person's own data): offered as a download, kept nowhere
  function attach(bubble, file) {
    const bytes = Uint8Array.from(atob(file.data), function (c) { return c.charCodeAt(0); });
    const link = document.createElement("a");
    link.href = URL.createObjectURL(new Blob([bytes], { type: file.mime_type }));
    link.download = file.filename;
    link.className = "download";
    link.textContent = "⬇ " + file.filename;
    bubble.appendChild(document.createElement("br"));
    bubble.appendChild(link);
  }

  async function send(body) {
    const response = await fetch("/api/chat", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify(body),
      credentials: "same-origin",
    });
    showAll(await response.json());
  }

  // what arrives later: a mediator's replies, news about a request to a mediator
  async function poll() {
    try {
      const response = await fetch("/api/chat/inbox", { credentials: "same-origin" });
      if (response.ok) showAll(await response.json());
    } finally {
      setTimeout(poll, 3000);
    }
  }

  function showAll(data) {
    data.messages.forEach(function (message) {
      const bubble = show(message.text, "bot");
      if (message.buttons && message.buttons.length) keyboard(bubble, message.buttons);
      (message.documents || []).forEach(function (file) { attach(bubble, file); });
      if (message.request_location) {
        locationButton.hidden = false;
        locationButton.title = message.location_button_label;
      }
      if (message.remove_keyboard) locationButton.hidden = true;
    });
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    const text = input.value.trim();
    if (!text) return;
    input.value = "";
    showMine(text);
    send({ text: text });
  });

  locationButton.addEventListener("click", function () {
    if (!navigator.geolocation) return;
    navigator.geolocation.getCurrentPosition(function (position) {
      showMine("📍");
      send({ location: { latitude: position.coords.latitude, longitude: position.coords.longitude } });
    });
  });

  send({ text: "/start" }).then(poll);
})();
