// The staff workspace's little JavaScript: pick coordinates from a map link, and confirm
// before deleting. Every page works without it.
(function () {
  "use strict";
  const link = document.getElementById("map-link");
  const lat = document.getElementById("latitude");
  const lon = document.getElementById("longitude");
  const check = document.getElementById("map-check");

  function coordinatesIn(text) {
    // OpenStreetMap "#map=18/45.07/7.68" or "mlat=45.07&mlon=7.68"; Google Maps "@45.07,7.68"
    const patterns = [
      /mlat=(-?\d+\.\d+).*mlon=(-?\d+\.\d+)/,
      /#map=\d+\/(-?\d+\.\d+)\/(-?\d+\.\d+)/,
      /@(-?\d+\.\d+),(-?\d+\.\d+)/,
      /^\s*(-?\d+\.\d+)\s*[,; ]\s*(-?\d+\.\d+)\s*$/,
    ];
    for (const pattern of patterns) {
      const match = text.match(pattern);
      if (match) return [match[1], match[2]];
    }
    return null;
  }

  function refreshCheckLink() {
    if (!check || !lat || !lon) return;
    const ok = lat.value && lon.value;
    check.hidden = !ok;
    if (ok) {
      check.href = "https://www.openstreetmap.org/?mlat=" + encodeURIComponent(lat.value) +
        "&mlon=" + encodeURIComponent(lon.value) + "#map=18/" + encodeURIComponent(lat.value) +
        "/" + encodeURIComponent(lon.value);
    }
  }

  if (link && lat && lon) {
    link.addEventListener("input", function () {
      const found = coordinatesIn(link.value);
      if (found) {
        lat.value = found[0];
        lon.value = found[1];
        refreshCheckLink();
      }
    });
    lat.addEventListener("input", refreshCheckLink);
    lon.addEventListener("input", refreshCheckLink);
    refreshCheckLink();
  }

  document.querySelectorAll("button[data-confirm]").forEach(function (button) {
    button.addEventListener("click", function (event) {
      if (!window.confirm(button.dataset.confirm)) event.preventDefault();
    });
  });
})();
