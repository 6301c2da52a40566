// The staff map: buurten coloured by team, the team's open requests as dots.
// Progressive enhancement: the page lists every buurt and team without JavaScript.
(function () {
  "use strict";

  function colourSwatches() {
    document.querySelectorAll(".swatch[data-colour]").forEach(function (el) {
      el.style.backgroundColor = el.getAttribute("data-colour");
    });
  }

  function draw(element, data) {
    var map = L.map(element, { attributionControl: true });
    var tiles = element.getAttribute("data-tiles");
    if (tiles) {
      L.tileLayer(tiles, { attribution: element.getAttribute("data-attribution") || "" }).addTo(map);
    }
    var areas = L.geoJSON(data.buurten, {
      style: function (feature) {
        return { color: "#333333", weight: 1, fillColor: feature.properties.colour, fillOpacity: 0.45 };
      },
      onEachFeature: function (feature, layer) {
        var p = feature.properties;
        layer.bindTooltip(p.name + " (" + p.code + ")" + (p.team ? ": " + p.team : ""));
      }
    }).addTo(map);
    data.requests.forEach(function (request) {
      var marker = L.circleMarker([request.lat, request.lon], {
        radius: request.priority === "crisis" ? 9 : 6,
        color: request.priority === "crisis" ? "#B00020" : "#000000",
        weight: 2,
        fillOpacity: request.approximate ? 0 : 0.9
      }).addTo(map);
      var link = document.createElement("a");
      link.href = data.request_url.replace("REFERENCE", encodeURIComponent(request.reference));
      link.textContent = request.reference;
      marker.bindPopup(link);
    });
    if (areas.getLayers().length) {
      map.fitBounds(areas.getBounds());
    } else {
      map.setView([52.1, 5.3], 7);
    }
  }

  document.addEventListener("DOMContentLoaded", function () {
    colourSwatches();
    var element = document.getElementById("map");
    if (!element || typeof L === "undefined") { return; }
    fetch(element.getAttribute("data-source"), { credentials: "same-origin" })
      .then(function (response) { return response.json(); })
      .then(function (data) { draw(element, data); });
  });
}());
