// The spectral-radius experiment of Chapter 1 (models.radius_experiment), computed in the page:
// a library of vanishing.js (see plot.js for how the files are put together).
//
// The network: h_t = tanh(W_ih x_t + W_hh h_{t−1}), H = 32 units, no bias, with
// W_hh = fl32(w · fl32(ρ / ρ(w))) exactly as models.random_rnn makes it in float32, run over a
// batch of B = 4 small random inputs. Computed in float64 from those float32 weights:
//   hidden states       h_t (T, B, H)
//   gradient norms      ‖∂h_T/∂h_t‖_F, averaged over the batch (cells.gradient_norms):
//                       ∂h_T/∂h_{t−1} = ∂h_T/∂h_t · diag(1 − h_t²) · W_hh, from I at t = T
//   weight gradient     ‖∂L/∂W_hh‖ for L = Σ_b Σ_k h_T[b, k] (models._weight_grad_norm)
//   clipping            factor = min(1, threshold / ‖∂L/∂W_hh‖) (Pascanu et al. 2013)
// tests/test_explorer_vanishing.py checks every number against radius_experiment.

/** The float32 network of radius ρ from the exported numbers: {W (H·H row-major), U (H), x}. */
export function weightsAt(network, radius) {
  const H = network.w.length;
  const factor = Math.fround(radius / network.spectral_radius);
  const W = new Float64Array(H * H);
  network.w.forEach((row, i) => row.forEach((v, j) => {
    W[i * H + j] = Math.fround(Math.fround(v) * factor);
  }));
  const U = Float64Array.from(network.weight_ih, (row) => Math.fround(row[0]));
  const x = network.x.map((row) => Float64Array.from(row, Math.fround)); // (T, B)
  return { H, W, U, x };
}

/** Hidden states (T, B, H) as an array of T Float64Arrays of B·H. */
export function forward({ H, W, U, x }) {
  const B = x[0].length;
  let h = new Float64Array(B * H);
  return x.map((xt) => {
    const next = new Float64Array(B * H);
    for (let b = 0; b < B; b++) {
      for (let i = 0; i < H; i++) {
        let z = U[i] * xt[b];
        for (let j = 0; j < H; j++) z += W[i * H + j] * h[b * H + j];
        next[b * H + i] = Math.tanh(z);
      }
    }
    h = next;
    return next;
  });
}

/** ‖∂h_T/∂h_t‖_F for t = 1 … T, averaged over the batch: (T). The cost of the explorer: T·B
 * products of H × H matrices, about 8 million multiply-adds, written for the JIT (flat arrays,
 * four running sums). */
export function gradientNorms({ H, W }, hs) {
  const T = hs.length;
  const B = hs[0].length / H;
  const norms = new Float64Array(T);
  let M = new Float64Array(H * H); // ∂h_T/∂h_t, row-major
  let N = new Float64Array(H * H);
  const DWt = new Float64Array(H * H); // (diag(1 − h_t²) · W)ᵀ, so that rows are contiguous
  const H4 = H - (H % 4);
  for (let b = 0; b < B; b++) {
    M.fill(0);
    for (let i = 0; i < H; i++) M[i * H + i] = 1; // ∂h_T/∂h_T = I
    for (let t = T - 1; t >= 0; t--) {
      let squared = 0;
      for (let k = 0; k < H * H; k++) squared += M[k] * M[k];
      norms[t] += Math.sqrt(squared) / B;
      if (t === 0) break;
      const h = hs[t];
      for (let j = 0; j < H; j++) {
        const d = 1 - h[b * H + j] * h[b * H + j]; // tanh' at step t
        for (let k = 0; k < H; k++) DWt[k * H + j] = d * W[j * H + k];
      }
      for (let i = 0; i < H; i++) { // N = M · diag(d) · W: ∂h_T/∂h_{t−1}
        const row = i * H;
        for (let k = 0; k < H; k++) {
          const col = k * H;
          let s0 = 0, s1 = 0, s2 = 0, s3 = 0;
          let j = 0;
          for (; j < H4; j += 4) {
            s0 += M[row + j] * DWt[col + j];
            s1 += M[row + j + 1] * DWt[col + j + 1];
            s2 += M[row + j + 2] * DWt[col + j + 2];
            s3 += M[row + j + 3] * DWt[col + j + 3];
          }
          for (; j < H; j++) s0 += M[row + j] * DWt[col + j];
          N[row + k] = (s0 + s1) + (s2 + s3);
        }
      }
      [M, N] = [N, M];
    }
  }
  return norms;
}

/** ‖∂L/∂W_hh‖ for L = the sum of the last hidden state over units and batch. */
export function weightGradNorm({ H, W }, hs) {
  const T = hs.length;
  const B = hs[0].length / H;
  const grad = new Float64Array(H * H);
  const delta = new Float64Array(H);
  for (let b = 0; b < B; b++) {
    let g = new Float64Array(H).fill(1); // ∂L/∂h_T
    for (let t = T - 1; t >= 0; t--) {
      for (let i = 0; i < H; i++) delta[i] = g[i] * (1 - hs[t][b * H + i] ** 2);
      const next = new Float64Array(H);
      for (let i = 0; i < H; i++) {
        if (t > 0) for (let j = 0; j < H; j++) grad[i * H + j] += delta[i] * hs[t - 1][b * H + j];
        for (let j = 0; j < H; j++) next[j] += delta[i] * W[i * H + j];
      }
      g = next;
    }
  }
  return Math.sqrt(grad.reduce((sum, v) => sum + v * v, 0));
}

/** radius_experiment(ρ) computed here: {radius, h (T, H) of the first sequence, norms (T),
 * weightGradNorm}. */
export function experiment(network, radius) {
  const weights = weightsAt(network, radius);
  const hs = forward(weights);
  const H = weights.H;
  return { radius, h: hs.map((row) => Array.from(row.subarray(0, H))),
           norms: Array.from(gradientNorms(weights, hs)), weightGradNorm: weightGradNorm(weights, hs) };
}

/** min(1, threshold / ‖g‖): what clipping multiplies the gradient by. */
export function clipFactor(threshold, norm) {
  return Math.min(1, threshold / Math.max(norm, 1e-30));
}

/**
 * The source of a classic worker script that computes experiment(network, ρ) for each ρ it is
 * sent ({network, radii}) and posts back {radius, result} for each: the page's slider positions
 * computed on another core, from these same functions.
 */
export function workerSource() {
  const parts = [weightsAt, forward, gradientNorms, weightGradNorm, experiment].map(String);
  return `"use strict";\n${parts.join("\n")}\n` +
    "onmessage = ({ data }) => { for (const radius of data.radii) " +
    "postMessage({ radius, result: experiment(data.network, radius) }); };\n";
}
