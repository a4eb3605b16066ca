// Step a trained RNN, LSTM or GRU in the browser, from the real weights, with any gate forced.
//
// The JavaScript twin of gatelab/cells.py (`cells.run`), for one sequence: the same equations,
// in PyTorch's parameter names and gate order, in float64. tests/test_explorer_parity.py runs
// both on the same weights and forcings and checks they agree.
//
//   RNN  (Elman 1990, nn.RNN)   h' = tanh(W_ih x + b_ih + W_hh h + b_hh)        (or relu)
//   LSTM (Hochreiter & Schmidhuber 1997, forget gate of Gers et al. 2000, nn.LSTM)
//        i = σ(W_ii x + b_ii + W_hi h + b_hi)      input gate: how much of g to write
//        f = σ(W_if x + b_if + W_hf h + b_hf)      forget gate: how much of c to keep
//        g = tanh(W_ig x + b_ig + W_hg h + b_hg)   candidate: what could be written
//        o = σ(W_io x + b_io + W_ho h + b_ho)      output gate: how much of c to show
//        c' = f ⊙ c + i ⊙ g,   h' = o ⊙ tanh(c')
//   GRU  (Cho et al. 2014, in PyTorch's form, nn.GRU)
//        r = σ(W_ir x + b_ir + W_hr h + b_hr)             reset gate
//        z = σ(W_iz x + b_iz + W_hz h + b_hz)             update gate
//        n = tanh(W_in x + b_in + r ⊙ (W_hn h + b_hn))    candidate
//        h' = (1 − z) ⊙ n + z ⊙ h
//   (with spec.reset_after === false: n = tanh(W_in x + b_in + W_hn (r ⊙ h) + b_hn), Cho's form)
//
// A forced gate replaces that gate's activation, exactly as `force` does in cells.run: a number
// at every step and unit, or an array that broadcasts (NumPy's rules) to the trace's (T, H):
// [[v_1], …, [v_T]] is one value per step, [v_1, …, v_H] one per unit, a T × H array one each.
// No dependencies and no build step: `import { run } from "./cells.js"`.
//
// A library file of gatelab.explorer.module (see plot.js): no import, no `export default`, each
// export a top-level `export const` / `export function` line; explorers inline it from there.

/** The gates of each cell kind, in PyTorch's block order, with the range of their activation. */
export const GATES = Object.freeze({
  RNN: Object.freeze({}),
  LSTM: Object.freeze({ i: [0, 1], f: [0, 1], g: [-1, 1], o: [0, 1] }),
  GRU: Object.freeze({ r: [0, 1], z: [0, 1], n: [-1, 1] }),
});

const sigmoid = (v) => 1 / (1 + Math.exp(-v));
const relu = (v) => (v > 0 ? v : 0);

/** W v + b for a row-major matrix W (rows × cols) as nested arrays; b may be null. */
function linear(W, b, v) {
  const out = new Float64Array(W.length);
  for (let r = 0; r < W.length; r++) {
    const row = W[r];
    let s = b ? b[r] : 0;
    for (let k = 0; k < v.length; k++) s += row[k] * v[k];
    out[r] = s;
  }
  return out;
}

/** The shape of a number or a (rectangular) nested array: [] for a number. */
function shapeOf(v) {
  const shape = [];
  while (Array.isArray(v)) {
    shape.push(v.length);
    v = v[0];
  }
  return shape;
}

/**
 * A forced value as a function (t, k) → number, checked against the gate's range and broadcast
 * to (T, H) by NumPy's rules; throws an Error naming the gate and what it takes.
 */
function forcing(kind, gate, value, T, H) {
  const valid = GATES[kind];
  const ranges = Object.entries(valid).map(([g, [lo, hi]]) => `${g} ∈ [${lo}, ${hi}]`).join(", ");
  if (!(gate in valid)) {
    if (!ranges) throw new Error("A plain RNN has no gates to force; use an LSTM or a GRU.");
    throw new Error(`${kind} has no gate '${gate}'. Gates you can force: ${ranges}.`);
  }
  const [lo, hi] = valid[gate];
  const shape = shapeOf(value);
  if (shape.length > 2) {
    throw new Error(`The forced value for gate '${gate}' has ${shape.length} dimensions; ` +
                    `use a number, [[v_1], …, [v_T]] for one value per step, or a T × H array.`);
  }
  const target = [T, H].slice(2 - shape.length); // the trailing dimensions it must match
  shape.forEach((n, d) => {
    if (n !== 1 && n !== target[d]) {
      throw new Error(`The forced value for gate '${gate}' has shape (${shape.join(", ")}), which ` +
                      `does not broadcast to the trace's shape (${T}, ${H}).`);
    }
  });
  const flat = shape.length === 0 ? [value] : shape.length === 1 ? value : value.flat();
  if (flat.length === 0 || flat.some((v) => typeof v !== "number" || !(v >= lo && v <= hi))) {
    throw new Error(`Gate '${gate}' of ${kind} takes values in [${lo}, ${hi}]. ` +
                    `Gates you can force: ${ranges}.`);
  }
  if (shape.length === 0) return () => value;
  if (shape.length === 1) return shape[0] === 1 ? () => value[0] : (t, k) => value[k];
  const row = shape[0] === 1 ? () => value[0] : (t) => value[t];
  return shape[1] === 1 ? (t) => row(t)[0] : (t, k) => row(t)[k];
}

/** A state given as an array of H numbers, or zeros when it is missing. */
function initial(state, H, name) {
  if (state === null || state === undefined) return new Float64Array(H);
  const flat = Array.isArray(state) ? state.flat(Infinity) : [];
  if (flat.length !== H) throw new Error(`The state ${name} must hold ${H} numbers; got ${flat.length}.`);
  return Float64Array.from(flat);
}

/**
 * Run one sequence x (T × I nested arrays) through the cell described by spec, with the gates
 * in force (gate name → number or array, see above; a missing gate is learned).
 *
 * spec: {kind: "RNN" | "LSTM" | "GRU", nonlinearity: "tanh" | "relu" (RNN), weight_ih (G·H × I),
 *        weight_hh (G·H × H), bias_ih (G·H) | null, bias_hh (G·H) | null, h0 (H) | null,
 *        c0 (H) | null (LSTM), reset_after (GRU, default true)}, G = 1, 4 or 3 gate blocks.
 * Returns {h: T × H, c: T × H (LSTM) | null, gates: {name: T × H}} as plain nested arrays.
 */
export function run(spec, x, force = {}) {
  const kind = spec.kind;
  if (!(kind in GATES)) throw new Error(`spec.kind must be "RNN", "LSTM" or "GRU"; got ${kind}.`);
  const blocks = { RNN: 1, LSTM: 4, GRU: 3 }[kind];
  const H = spec.weight_hh[0].length;
  const I = spec.weight_ih[0].length;
  if (spec.weight_ih.length !== blocks * H || spec.weight_hh.length !== blocks * H) {
    throw new Error(`A ${kind} with ${H} units has weight_ih and weight_hh of ${blocks * H} rows.`);
  }
  const T = x.length;
  if (T === 0 || x.some((row) => row.length !== I)) {
    throw new Error(`The input must be T × ${I} (T ≥ 1) for this ${kind}.`);
  }
  const forced = {};
  for (const [gate, value] of Object.entries(force || {})) {
    if (value !== null && value !== undefined) forced[gate] = forcing(kind, gate, value, T, H);
  }
  const { weight_ih: Wih, weight_hh: Whh } = spec;
  const bih = spec.bias_ih ?? null;
  const bhh = spec.bias_hh ?? null;
  let h = initial(spec.h0, H, "h0");
  let c = kind === "LSTM" ? initial(spec.c0, H, "c0") : null;
  const hs = [];
  const cs = kind === "LSTM" ? [] : null;
  const gates = Object.fromEntries(Object.keys(GATES[kind]).map((g) => [g, []]));
  // a gate's forced value at (t, k), or null where the gate is learned
  const fix = (name) => forced[name] ?? null;

  const [fixI, fixF, fixG, fixO, fixR, fixZ, fixN] = [..."ifgorzn"].map(fix);
  const resetAfter = spec.reset_after !== false;

  for (let t = 0; t < T; t++) {
    const gi = linear(Wih, bih, x[t]); // (G·H)
    const next = new Float64Array(H);
    if (kind === "RNN") {
      const gh = linear(Whh, bhh, h);
      const act = spec.nonlinearity === "relu" ? relu : Math.tanh;
      for (let k = 0; k < H; k++) next[k] = act(gi[k] + gh[k]);
    } else if (kind === "LSTM") {
      const gh = linear(Whh, bhh, h);
      const step = { i: new Array(H), f: new Array(H), g: new Array(H), o: new Array(H) };
      const nextC = new Float64Array(H);
      for (let k = 0; k < H; k++) {
        const i = fixI ? fixI(t, k) : sigmoid(gi[k] + gh[k]);
        const f = fixF ? fixF(t, k) : sigmoid(gi[H + k] + gh[H + k]);
        const g = fixG ? fixG(t, k) : Math.tanh(gi[2 * H + k] + gh[2 * H + k]);
        const o = fixO ? fixO(t, k) : sigmoid(gi[3 * H + k] + gh[3 * H + k]);
        nextC[k] = f * c[k] + i * g;
        next[k] = o * Math.tanh(nextC[k]);
        step.i[k] = i; step.f[k] = f; step.g[k] = g; step.o[k] = o;
      }
      c = nextC;
      cs.push(Array.from(c));
      for (const name of "ifgo") gates[name].push(step[name]);
    } else {
      const gh = linear(Whh, bhh, h);
      const r = new Array(H), z = new Array(H), n = new Array(H);
      for (let k = 0; k < H; k++) {
        r[k] = fixR ? fixR(t, k) : sigmoid(gi[k] + gh[k]);
        z[k] = fixZ ? fixZ(t, k) : sigmoid(gi[H + k] + gh[H + k]);
      }
      // the past's share of the candidate: r ⊙ (W_hn h + b_hn) in PyTorch's form,
      // W_hn (r ⊙ h) + b_hn in Cho's
      let past;
      if (resetAfter) {
        past = r.map((rk, k) => rk * gh[2 * H + k]);
      } else {
        const rh = Array.from(h, (hk, k) => r[k] * hk);
        past = linear(Whh.slice(2 * H), bhh ? bhh.slice(2 * H) : null, rh);
      }
      for (let k = 0; k < H; k++) {
        n[k] = fixN ? fixN(t, k) : Math.tanh(gi[2 * H + k] + past[k]);
        next[k] = (1 - z[k]) * n[k] + z[k] * h[k];
      }
      gates.r.push(r); gates.z.push(z); gates.n.push(n);
    }
    h = next;
    hs.push(Array.from(h));
  }
  return { h: hs, c: cs, gates };
}
