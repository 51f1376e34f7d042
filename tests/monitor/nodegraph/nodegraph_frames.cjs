// Runs real Prometheus query results through Grafana's own data-frame code (@grafana/data)
// the way a dashboard's Node graph panel gets them, and prints what the node graph reads.
//
// stdin: {"panel": <nodeGraph panel JSON>, "results": {refId: <Prometheus instant vector>}}
// stdout: {"frames": [...field names per frame...], "nodes": [...], "edges": [...]}
//
// Steps, each with Grafana's code where Grafana has it in @grafana/data:
//  1. Prometheus "table" format: one frame per refId, a Time field, one string field per
//     label (named by the label, labels sorted), and the value field "Value #<refId>"
//     (several queries). This mirrors the Prometheus datasource's transformDFToTable, which
//     lives in @grafana/prometheus, not in @grafana/data.
//  2. The panel's transformations through @grafana/data's transformDataFrame with the
//     standard transformers.
//  3. Field config through applyFieldOverrides with the node graph plugin's registry
//     (the plugin declares no field config options, so the registry is empty).
//  4. The panel options the node graph applies (units, arc colours), then its reading:
//     frames with an `id` field (or refId nodes/edges), edges told apart by a `source`
//     field, fields looked up by NodeGraphDataFrameFieldNames, case-insensitively.
'use strict';

const g = require('@grafana/data');
const { firstValueFrom } = require('rxjs');

// transformDataFrame reads window.__grafanaSceneContext at run time (set after the imports,
// which would otherwise take node for a browser).
globalThis.window = globalThis.window || {};
// Value formatters ask the browser's locale; node < 21 has no navigator global.
if (typeof globalThis.navigator === 'undefined') {
  globalThis.navigator = { language: 'en-US', languages: ['en-US'] };
}

function readStdin() {
  return require('fs').readFileSync(0, 'utf8');
}

function prometheusTable(refId, vector, manyQueries) {
  const labelNames = [];
  for (const s of vector) {
    for (const k of Object.keys(s.metric).sort()) {
      if (!labelNames.includes(k)) labelNames.push(k);
    }
  }
  const valueName = manyQueries ? `Value #${refId}` : 'Value';
  const time = { name: 'Time', type: g.FieldType.time, config: {}, values: [] };
  const labels = labelNames.map((name) => ({
    name, type: g.FieldType.string, config: { filterable: true }, values: [],
  }));
  // No displayNameFromDS: the datasource leaves it unset, so transformations that match
  // fields by display name see what Grafana computes for this field.
  const value = {
    name: valueName, type: g.FieldType.number, display: g.getDisplayProcessor(),
    config: { displayNameFromDS: undefined }, values: [],
  };
  for (const s of vector) {
    time.values.push(Math.round(s.value[0] * 1000));
    value.values.push(parseFloat(s.value[1]));
    for (const f of labels) f.values.push(s.metric[f.name] ?? '');
  }
  return {
    refId, fields: [time, ...labels, value], length: vector.length,
    meta: { preferredVisualisationType: 'rawPrometheus' },
  };
}

function registerTransformers() {
  // standardTransformers lists some transformers under two names (one id): register each once.
  const byId = new Map(Object.values(g.standardTransformers).map((info) => [info.id, info]));
  g.standardTransformersRegistry.setInit(() =>
    [...byId.values()].map((info) => ({
      id: info.id, name: info.name, description: info.description,
      defaultOptions: info.defaultOptions, transformation: () => Promise.resolve(info),
    }))
  );
}

function byName(frame, name) {
  const lower = frame.fields.map((f) => ({ ...f, name: f.name.toLowerCase() }));
  const cache = new g.FieldCache({ ...frame, fields: lower });
  const hit = cache.getFieldByName(name.toLowerCase());
  return hit ? frame.fields[lower.findIndex((f) => f.name === hit.name)] : undefined;
}

function colourOf(field, i, theme) {
  if (!field) return null;
  if (!field.config.color) return field.values[i];
  return g.getFieldColorModeForField(field).getCalculator(field, theme)(0, field.values[i]);
}

async function main() {
  const input = JSON.parse(readStdin());
  const panel = input.panel;
  const refIds = panel.targets.map((t) => t.refId);
  let frames = refIds.map((r) => prometheusTable(r, input.results[r] || [], refIds.length > 1));
  registerTransformers();
  frames = await firstValueFrom(g.transformDataFrame(panel.transformations || [], frames));
  const theme = g.createTheme();
  frames = g.applyFieldOverrides({
    data: frames, fieldConfig: panel.fieldConfig || { defaults: {}, overrides: [] },
    fieldConfigRegistry: new g.FieldConfigOptionsRegistry(), replaceVariables: (s) => s,
    theme, timeZone: 'utc',
  });
  const F = g.NodeGraphDataFrameFieldNames;
  const graphFrames = frames.filter((f) =>
    f.meta?.preferredVisualisationType === 'nodeGraph' || ['nodes', 'edges'].includes(f.name) ||
    ['nodes', 'edges'].includes(f.refId) || new g.FieldCache(f).getFieldByName(F.id));
  const opts = panel.options || {};
  const edgesFrames = graphFrames.filter((f) => f.name === 'edges' || f.fields.some((x) => x.name === F.source));
  const nodeFrames = graphFrames.filter((f) => !edgesFrames.includes(f));
  for (const f of nodeFrames) {
    for (const arc of opts.nodes?.arcs || []) {
      const field = f.fields.find((x) => x.name.toLowerCase() === (arc.field || '').toLowerCase());
      if (field && arc.color) field.config = { ...field.config, color: { mode: 'fixed', fixedColor: arc.color } };
    }
  }
  const out = { frames: frames.map((f) => ({ refId: f.refId ?? null, fields: f.fields.map((x) => x.name) })),
                nodeFrames: nodeFrames.length, edgeFrames: edgesFrames.length, nodes: [], edges: [] };
  const nodes = nodeFrames[0];
  if (nodes) {
    const id = byName(nodes, F.id), title = byName(nodes, F.title), main = byName(nodes, F.mainStat);
    const second = byName(nodes, F.secondaryStat), color = byName(nodes, F.color);
    const arcs = nodes.fields.filter((x) => new RegExp('^' + F.arc).test(x.name));
    for (let i = 0; id && i < id.values.length; i++) {
      out.nodes.push({
        id: id.values[i], title: title ? title.values[i] : null,
        mainstat: main ? main.values[i] : null, secondarystat: second ? second.values[i] : null,
        color: colourOf(color, i, theme),
        arcs: Object.fromEntries(arcs.map((a) => [a.name, a.values[i]])),
        arcColors: Object.fromEntries(arcs.map((a) => [a.name,
          theme.visualization.getColorByName(a.config.color?.fixedColor || '')])),
      });
    }
  }
  const edges = edgesFrames[0];
  if (edges) {
    const id = byName(edges, F.id), src = byName(edges, F.source), dst = byName(edges, F.target);
    const main = byName(edges, F.mainStat);
    for (let i = 0; id && i < id.values.length; i++) {
      out.edges.push({ id: id.values[i], source: src ? src.values[i] : null,
                       target: dst ? dst.values[i] : null, mainstat: main ? main.values[i] : null });
    }
  }
  out.fieldNames = Object.fromEntries(Object.entries(F).map(([k, v]) => [k, v]));
  out.themeColors = Object.fromEntries(['green', 'yellow', 'red'].map((c) => [c, theme.visualization.getColorByName(c)]));
  process.stdout.write(JSON.stringify(out));
}

main().catch((e) => { process.stderr.write(String(e && e.stack || e)); process.exit(1); });
