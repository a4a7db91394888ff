// The chain drawing: junctions J0..Jn as vertical bars, VNF layers as columns between them,
// VMs as boxes coloured by liveness, the bypass as a dashed lane, and the selected customer's
// upstream and downstream paths as lines (paper §4.1-4.2).

const SVG_NS = "http://www.w3.org/2000/svg";

const JW = 14; // junction bar width
const COLW = 212; // layer column width
const BOXW = 172;
const BOXH = 56;
const PITCH = 68; // vertical distance between VM boxes
const TOP = 64; // first VM box
const LEFT = 96; // room for the customer edge
const RIGHT = 104; // room for the backbone edge
const LANEH = 32;

function el(name, attrs, parent) {
  const node = document.createElementNS(SVG_NS, name);
  for (const [k, v] of Object.entries(attrs || {})) node.setAttribute(k, String(v));
  if (parent) parent.appendChild(node);
  return node;
}

function text(parent, x, y, content, cls) {
  const t = el("text", { x, y, class: cls || "" }, parent);
  t.textContent = content;
  return t;
}

function titled(node, content) {
  const t = el("title", {}, node);
  t.textContent = content;
  return node;
}

function switchClass(sw) {
  if (!sw || !sw.connected) return "sw-down";
  return sw.in_sync === false ? "sw-sync" : "sw-ok";
}

function vmMeta(vm) {
  const parts = [];
  if (typeof vm.rtt_ms === "number") parts.push(`rtt ${vm.rtt_ms.toFixed(1)} ms`);
  if (vm.load && typeof vm.load.prefixes === "number") parts.push(`${vm.load.prefixes} pfx`);
  if (vm.load && typeof vm.load.bits_per_second === "number") {
    parts.push(`${(vm.load.bits_per_second / 1e9).toFixed(2)} Gb/s`);
  }
  return parts.join(" · ");
}

/** Geometry of one drawing, shared by the boxes and the path lines. */
function layout(chain) {
  const layers = chain.layers || [];
  const maxVms = Math.max(1, ...layers.map((l) => l.vms.length));
  const laneY = TOP + maxVms * PITCH + 6;
  const anyBypass = layers.some((l) => l.bypass.length > 0);
  const bottom = laneY + (anyBypass ? LANEH : 0);
  const junctions = layers.length + 1;
  return {
    layers,
    laneY,
    bottom,
    width: LEFT + junctions * JW + layers.length * COLW + RIGHT,
    height: bottom + 44,
    jx: (k) => LEFT + k * (JW + COLW),
    boxX: (i) => LEFT + i * (JW + COLW) + JW + (COLW - BOXW) / 2,
    boxY: (j) => TOP + j * PITCH,
  };
}

/** The y of a hop (VM box centre, bypass lane centre, or null when dropped). */
function hopY(g, layerIndex, hop) {
  const layer = g.layers[layerIndex];
  if (!layer || !hop) return null;
  if (hop.via === "vm") {
    const j = layer.vms.findIndex((v) => v.name === hop.vm);
    return j < 0 ? null : g.boxY(j) + BOXH / 2;
  }
  if (hop.via === "bypass") return g.laneY + LANEH / 2;
  return null;
}

/** Points of one direction of a prefix's path, J0 → Jn, offset by dy. */
function pathPoints(g, hops, dy) {
  const pts = [];
  let dropped = null;
  hops.forEach((hop, i) => {
    if (dropped !== null) return;
    const y = hopY(g, i, hop);
    const mid = g.jx(i) + JW / 2;
    if (y === null) {
      dropped = i;
      if (pts.length === 0) pts.push([g.jx(0) - 48, g.boxY(0) + BOXH / 2 + dy]);
      pts.push([mid, pts[pts.length - 1][1]]);
      return;
    }
    if (pts.length === 0) pts.push([g.jx(0) - 48, y + dy]);
    pts.push([mid, pts[pts.length - 1][1]]);
    pts.push([mid, y + dy]);
    pts.push([g.jx(i + 1) + JW / 2, y + dy]);
  });
  if (dropped === null && pts.length > 0) {
    pts.push([g.jx(hops.length) + JW / 2 + 56, pts[pts.length - 1][1]]);
  }
  return { pts, dropped };
}

function defs(svg) {
  const d = el("defs", {}, svg);
  for (const [id, colour] of [["arrow-up", "#1f6feb"], ["arrow-down", "#d9480f"]]) {
    const m = el("marker", {
      id, viewBox: "0 0 10 10", refX: 8, refY: 5, markerWidth: 7, markerHeight: 7,
      orient: "auto-start-reverse",
    }, d);
    el("path", { d: "M0,0 L10,5 L0,10 z", fill: colour }, m);
  }
}

/**
 * Draws `chain` into `svg`, highlighting the paths of the customer named `selected` (an entry
 * of `customers`). Rebuilds the drawing from scratch on every call.
 */
export function drawChain(svg, chain, customers, selected) {
  while (svg.firstChild) svg.removeChild(svg.firstChild);
  const g = layout(chain);
  svg.setAttribute("viewBox", `0 0 ${g.width} ${g.height}`);
  svg.setAttribute("width", g.width);
  svg.setAttribute("height", g.height);

  const chosen = (customers || []).find((c) => c.name === selected) || null;
  const title = el("title", { id: "chain-title" }, svg);
  title.textContent = "Service chain";
  const desc = el("desc", { id: "chain-desc" }, svg);
  desc.textContent = `${g.layers.length} layers: ${g.layers.map((l) => l.name).join(", ")}` +
    (chosen ? `; highlighted: paths of ${chosen.name}` : "");
  defs(svg);

  // Customer and backbone edges, above the lines that leave J0 and Jn.
  text(svg, 8, TOP - 30, "customers", "edge-label");
  text(svg, 8, TOP - 16, "(CPEs)", "edge-label");
  const last = g.jx(g.layers.length) + JW;
  text(svg, last + 12, TOP - 30, "backbone", "edge-label");
  text(svg, last + 12, TOP - 16, "router", "edge-label");

  // Columns: headers, wires, bypass lanes.
  const onPath = new Set();
  if (chosen) {
    for (const p of chosen.paths) {
      for (const h of p.upstream) if (h.via === "vm") onPath.add(h.vm);
    }
  }
  g.layers.forEach((layer, i) => {
    const cx = g.boxX(i) + BOXW / 2;
    text(svg, cx, 24, layer.name, "layer-name");
    if (typeof layer.bit === "number") {
      text(svg, cx, 40, `service bit ${layer.bit}`, "layer-bit");
    }
    layer.vms.forEach((_, j) => {
      const y = g.boxY(j) + BOXH / 2;
      el("line", { x1: g.jx(i) + JW, y1: y, x2: g.boxX(i), y2: y, class: "wire" }, svg);
      el("line", { x1: g.boxX(i) + BOXW, y1: y, x2: g.jx(i + 1), y2: y, class: "wire" }, svg);
    });
    if (layer.bypass.length > 0) {
      const lane = el("rect", {
        x: g.jx(i) + JW, y: g.laneY, width: COLW, height: LANEH, class: "lane",
      }, svg);
      const down = layer.bypass.filter((b) => b.up === false).length;
      titled(lane, `bypass of ${layer.name}: ${layer.bypass.length} link(s)` +
        (down ? `, ${down} down` : ""));
      text(svg, cx, g.laneY + LANEH / 2 + 4,
        `bypass${layer.bypass.length > 1 ? ` ×${layer.bypass.length}` : ""}${down ? " (link down)" : ""}`,
        "lane-label");
    }
  });

  // Junctions.
  const switches = chain.switches || [];
  for (let k = 0; k <= g.layers.length; k++) {
    const sw = switches[k];
    const bar = el("rect", {
      x: g.jx(k), y: TOP - 14, width: JW, height: g.bottom - TOP + 14, rx: 3,
      class: `junction ${switchClass(sw)}`,
    }, svg);
    titled(bar, sw
      ? `J${k} ${sw.name} ${sw.dpid || ""}: ${sw.connected ? sw.state : "disconnected"}` +
        (sw.in_sync === false ? ", update pending" : "")
      : `J${k}: not reported`);
    text(svg, g.jx(k) + JW / 2, g.bottom + 18, `J${k}`, "sw-label");
    text(svg, g.jx(k) + JW / 2, g.bottom + 33, sw ? sw.name : "?", "layer-bit");
  }

  // The selected customer's paths, under the boxes.
  if (chosen) {
    chosen.paths.forEach((p, n) => {
      const spread = (n % 3) * 2;
      const up = pathPoints(g, p.upstream, -5 - spread);
      const downHops = p.downstream.slice().reverse();
      const down = pathPoints(g, downHops, 5 + spread);
      if (up.pts.length > 1) {
        titled(el("polyline", {
          points: up.pts.map((q) => q.join(",")).join(" "),
          class: "path up", "marker-end": "url(#arrow-up)",
        }, svg), `${chosen.name} ${p.prefix} upstream`);
      }
      if (down.pts.length > 1) {
        const pts = down.pts.slice().reverse();
        titled(el("polyline", {
          points: pts.map((q) => q.join(",")).join(" "),
          class: "path down", "marker-end": "url(#arrow-down)",
        }, svg), `${chosen.name} ${p.prefix} downstream`);
      }
      if (up.dropped !== null) {
        const x = g.jx(up.dropped) + JW + COLW / 2;
        text(svg, x, g.laneY - 8, `✕ ${p.prefix} dropped (no live VM)`, "dropped");
      }
    });
  }

  // VM boxes.
  g.layers.forEach((layer, i) => {
    layer.vms.forEach((vm, j) => {
      const live = vm.liveness || "unknown";
      const box = el("g", {
        class: `vm vm-${live}${onPath.has(vm.name) ? " on-path" : ""}`,
        "data-vm": vm.name,
      }, svg);
      const x = g.boxX(i);
      const y = g.boxY(j);
      el("rect", { x, y, width: BOXW, height: BOXH, rx: 7 }, box);
      text(box, x + 10, y + 18, vm.name, "vm-name");
      text(box, x + 10, y + 33, `${vm.hypervisor} · ${live}`, "vm-meta");
      const meta = vmMeta(vm);
      if (meta) text(box, x + 10, y + 47, meta, "vm-meta");
      titled(box, `${vm.name} on ${vm.hypervisor}: ${live}${meta ? `, ${meta}` : ""}`);
    });
  });
}
