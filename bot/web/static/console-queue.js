// The queue follows changes live: a WebSocket says which case changed; the page reloads
// (at most once a second). Without a connection it still refreshes every 30 seconds.
(function () {
  "use strict";
  let reloading = false;
  function reloadSoon() {
    if (reloading) return;
    reloading = true;
    setTimeout(function () { location.reload(); }, 1000);
  }
  const scheme = location.protocol === "https:" ? "wss://" : "ws://";
  const socket = new WebSocket(scheme + location.host + "/console/live");
  socket.onmessage = reloadSoon;
  setTimeout(reloadSoon, 30000);
})();
