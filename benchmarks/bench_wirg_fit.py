"""Fitting the WIRG model of phi^4: score against moment matching, fit time per scale, conditioning, generation.

Data: lattice phi^4 at beta = 0.68 (near beta_c) from :func:`wirg.phi4` (Metropolis + cluster moves).

1. **Score against moment matching on the same data** (scale 1 of L = 16, Haar, radius 1, potential t^4:
   an ansatz that contains the exact conditional, so both estimate the same parameters): the parameters,
   their difference in units of the score-matching standard errors, wall times, and the condition numbers
   of each method's linear problem: H of score matching, and the Fisher matrix E Cov(Phi | phi_1) of
   maximum likelihood (its Hessian), estimated as (1/2S) sum_i d_i d_i^T with d_i = Phi(data pair i) -
   Phi(model sample i) (the two are independent given phi_1 at the fitted parameters), both raw and
   after diagonal normalisation. Moment matching runs plain gradient descent (:func:`wirg.fit_moment_matching`)
   for ``--mm-steps`` steps from its default start (how far plain descent gets: the conditioning) and from the
   score-matching estimate (whether the maximum-likelihood fixed point agrees with it within the errors).
2. **Fit time per scale** of :func:`wirg.fit_wirg` (score matching, db4, radius 2, sigmoid:20+polynomial:4)
   at L = 32, 64, 128 (``--sizes``), and the condition numbers of H per scale.
3. **Conditioning against L**: per scale j = 1, 2, 3, the condition numbers of the score-matching H and
   of the Fisher matrix (estimate above) at L = 16, 32, 64, raw and normalised.
4. **Generation time per sample** of the fitted models (MALA burn-in ``--burn-in`` steps per scale).
5. **The generation model of** ``wirg-phi4`` (:func:`statlearn.reproductions.wirg_phi4.generation_model`: Haar
   down to 1 x 1, block quartic terms and natural-gradient moment matching at the scales j >= 2) at ``--sizes``:
   fit time per scale (score matching, then moment matching) against the papers' ansatz fitted by score
   matching alone, and generation time per sample of both (``--burn-in`` MALA steps at every scale).

Absolute times are noisy on a shared machine: each is the best of ``--rounds``; the ratios (moment /
score matching time) are measured in the same process.

Run: ``OMP_NUM_THREADS=1 python benchmarks/bench_wirg_fit.py [--fields 200 --sizes 32 64 128 --quick]``
"""

from __future__ import annotations

import argparse
import time

import numpy as np

import wirg
from wirg.generate import MALASettings


def best_of(rounds: int, func):
    times, value = [], None
    for _ in range(rounds):
        start = time.perf_counter()
        value = func()
        times.append(time.perf_counter() - start)
    return min(times), value


def condition(matrix: np.ndarray) -> tuple[float, float]:
    """Condition numbers of a symmetric matrix, raw and after diagonal normalisation."""
    matrix = 0.5 * (matrix + matrix.T)
    d = 1.0 / np.sqrt(np.diag(matrix))
    values = []
    for m in (matrix, d[:, None] * matrix * d[None, :]):
        eig = np.linalg.eigvalsh(m)
        values.append(float(eig[-1] / eig[0]) if eig[0] > 0 else float("inf"))
    return values[0], values[1]


def fisher(ansatz, theta, phi, psi, seed: int, burn_in: int = 200, draws: int = 4) -> np.ndarray:
    """E Cov(Phi | phi_j) per site from data pairs and ``draws`` model samples per pair (``burn_in`` MALA
    steps apart, started at the data; module docstring): the mean of d d^T / 2 over all of them, of rank up to
    draws * S (more than the number of parameters)."""
    model = wirg.ScaleModel(ansatz, theta)
    samples = wirg.sample_conditional(
        ansatz,
        theta,
        phi,
        n_samples=draws,
        thin=burn_in,
        seed=seed,
        burn_in=burn_in,
        init=psi,
        step=model.mala_step(phi, psi),
    ).samples
    data = ansatz.features(psi, phi)
    d = np.concatenate([data - ansatz.features(s, phi) for s in samples])
    return d.T @ d / (2 * len(d) * phi[0].size)


def phi4_fields(L: int, n: int, seed: int) -> np.ndarray:
    start = time.perf_counter()
    fields = wirg.phi4(L, 0.68, n, seed=seed).fields
    print(f"# phi^4 data: L = {L}, {n} fields in {time.perf_counter() - start:.1f} s")
    return fields


def score_against_moments(args) -> None:
    print("\n## 1. score against moment matching, scale 1 of L = 16 (Haar, radius 1, potential t^4)")
    fields = phi4_fields(16, args.fields, 1)
    phi, psi = wirg.analysis_step(fields, "haar")
    ansatz = wirg.QuadraticAnsatz(1, potential=wirg.PolynomialPotential((4,)), wavelet="haar")
    t_score, score = best_of(args.rounds, lambda: wirg.fit_score_matching(ansatz, psi, phi))
    features = ansatz.features(psi, phi) / phi[0].size
    lr = 0.5 / np.linalg.eigvalsh(np.cov(features.T) * phi[0].size)[-1]
    t_mm, mm = best_of(
        1,
        lambda: wirg.fit_moment_matching(ansatz, phi, psi, steps=args.mm_steps, lr=lr, seed=2, mcmc_steps=10),
    )
    t_warm, warm = best_of(
        1,
        lambda: wirg.fit_moment_matching(
            ansatz, phi, psi, steps=args.mm_steps, lr=lr, seed=4, mcmc_steps=10, theta0=score.theta
        ),
    )
    z = (mm.theta_average - score.theta) / score.stderr
    z_warm = (warm.theta_average - score.theta) / score.stderr
    within = [i for i, th in enumerate(mm.theta_history) if np.all(np.abs((th - score.theta) / score.stderr) < 3.0)]
    fisher_raw, fisher_norm = condition(fisher(ansatz, score.theta, phi, psi, seed=3))
    names = {0: "Kbar[0,0](0)", ansatz.labels.index(("dd", 0, 0, (0, 1))): "Kbar[0,0](0,1)", ansatz.n_params - 1: "t^4"}
    print("moment matching from its default start (cold) and from the score-matching estimate (warm); z in units")
    print("of the score-matching standard errors, moment matching Polyak-averaged over the second half")
    print(f"{'parameter':>16} {'score':>10} {'+-':>8} {'cold':>10} {'z':>7} {'warm':>10} {'z':>6}")
    for i, name in names.items():
        print(
            f"{name:>16} {score.theta[i]:>10.4f} {score.stderr[i]:>8.4f} {mm.theta_average[i]:>10.4f} {z[i]:>7.2f} "
            f"{warm.theta_average[i]:>10.4f} {z_warm[i]:>6.2f}"
        )
    for label, zz in (("cold", z), ("warm", z_warm)):
        print(
            f"{label}: all {ansatz.n_params} parameters: max |z| = {np.abs(zz).max():.2f}, mean z^2 = {(zz**2).mean():.2f}"
        )
    print(
        f"first gradient step with every parameter within 3 standard errors of score matching: "
        f"{within[0] if within else 'not reached'} of {mm.iterations}"
    )
    print(
        f"wall time: score {t_score:.3f} s, moments {t_mm:.3f} s cold and {t_warm:.3f} s warm ({mm.iterations} steps "
        f"each), ratio cold / score {t_mm / t_score:.0f}"
    )
    print(
        f"condition numbers: score H {score.condition_raw:.3g} (normalised {score.condition_normalised:.3g}); "
        f"Fisher {fisher_raw:.3g} (normalised {fisher_norm:.3g})"
    )


def fit_and_generate(args, fields_by_L: dict[int, np.ndarray]) -> None:
    print("\n## 2. fit time per scale and 4. generation time per sample (db4, radius 2, sigmoid:20+polynomial:4)")
    for L, fields in fields_by_L.items():
        model = wirg.fit_wirg(fields, levels=int(np.log2(L)) - 2, radius=2, progress=False)
        print(f"L = {L}: {len(fields)} fields, total fit {sum(f.seconds for f in model.fits if f):.2f} s")
        print(f"{'j':>4} {'L_j':>5} {'params':>7} {'fit s':>8} {'cond(H)':>10} {'normalised':>11}")
        for fit, scale in zip(model.fits, [*model.scales, model.coarse]):
            n_params = scale.ansatz.n_params
            label = fit.j if fit.j <= model.levels else "J"
            print(
                f"{label:>4} {fit.L_j:>5} {n_params:>7} {fit.seconds:>8.3f} {fit.condition_raw:>10.3g} "
                f"{fit.condition_normalised:>11.3g}"
            )
        mcmc = MALASettings(burn_in=args.burn_in)
        t_gen, _ = best_of(args.rounds, lambda: model.generate(args.gen_batch, seed=1, mcmc=mcmc))
        print(
            f"generation: {1e3 * t_gen / args.gen_batch:.1f} ms per sample ({args.gen_batch} per call, "
            f"{args.burn_in} MALA steps at the finest scale, twice as many per coarser one: MALASettings' default)"
        )


def conditioning(args, fields_by_L: dict[int, np.ndarray]) -> None:
    print("\n## 3. condition numbers per scale against L (db4, radius 2, sigmoid:20+polynomial:4)")
    print(f"{'L':>5} {'j':>3} {'H raw':>10} {'H norm':>10} {'Fisher raw':>11} {'Fisher norm':>12}")
    for L, fields in fields_by_L.items():
        model = wirg.fit_wirg(fields, levels=3, radius=2, progress=False)
        phi = fields
        for j, scale in enumerate(model.scales, start=1):
            phi, psi = wirg.analysis_step(phi, model.wavelet, model.gamma[j - 1])
            fit = model.fits[j - 1]
            f_raw, f_norm = condition(fisher(scale.ansatz, scale.theta, phi, psi, seed=j))
            print(
                f"{L:>5} {j:>3} {fit.condition_raw:>10.3g} {fit.condition_normalised:>10.3g} "
                f"{f_raw:>11.3g} {f_norm:>12.3g}"
            )


def generation_model(args, fields_by_L: dict[int, np.ndarray]) -> None:
    from statlearn.reproductions import wirg_phi4

    print("\n## 5. the generation model of wirg-phi4 against the papers' ansatz (Haar, down to 1 x 1)")
    settings = {"ml_steps": args.ml_steps, "polish": args.polish, "polish_steps": args.polish_steps}
    mcmc = MALASettings(burn_in=args.burn_in, steps_exponent=0.0)
    for L, fields in fields_by_L.items():
        start = time.perf_counter()
        plain = wirg_phi4.fit_phi4(fields)
        t_plain = time.perf_counter() - start
        start = time.perf_counter()
        model = wirg_phi4.generation_model(fields, settings, seed=1)
        t_model = time.perf_counter() - start
        print(
            f"L = {L}: {len(fields)} fields; fit {t_plain:.2f} s (papers' ansatz), {t_model:.2f} s (generation model)"
        )
        print(f"{'j':>4} {'L_j':>5} {'params':>7} {'method':>8} {'fit s':>8}")
        for fit, scale in zip(model.fits, model.scales):
            print(f"{fit.j:>4} {fit.L_j:>5} {scale.ansatz.n_params:>7} {fit.method:>8} {fit.seconds:>8.2f}")
        t_a, _ = best_of(args.rounds, lambda: plain.generate(args.gen_batch, seed=1, mcmc=mcmc))
        t_b, _ = best_of(args.rounds, lambda: model.generate(args.gen_batch, seed=1, mcmc=mcmc))
        print(
            f"generation per sample: {1e3 * t_a / args.gen_batch:.1f} ms (papers' ansatz), "
            f"{1e3 * t_b / args.gen_batch:.1f} ms (generation model), ratio {t_b / t_a:.2f}"
        )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--fields", type=int, default=200, help="training fields per lattice size")
    parser.add_argument("--sizes", type=int, nargs="+", default=[32, 64, 128], help="L of the fit timings")
    parser.add_argument("--cond-sizes", type=int, nargs="+", default=[16, 32, 64], help="L of the conditioning")
    parser.add_argument("--mm-steps", type=int, default=300, help="moment-matching gradient steps")
    parser.add_argument("--burn-in", type=int, default=500, help="MALA steps at the finest scale in generation")
    parser.add_argument("--gen-batch", type=int, default=20, help="samples per generation call")
    parser.add_argument("--rounds", type=int, default=2, help="rounds (best taken)")
    parser.add_argument("--quick", action="store_true", help="100 fields, L = 32, 64 only, 100 moment steps")
    parser.add_argument("--ml-steps", type=int, default=200, help="moment-matching steps of the generation model")
    parser.add_argument("--polish", type=int, default=3, help="Newton polishing steps of the generation model")
    parser.add_argument("--polish-steps", type=int, default=1000, help="MALA steps per polishing step")
    parser.add_argument(
        "--parts", type=int, nargs="+", default=[1, 2, 3, 5], help="sections to run (1, 2 with 4, 3, 5)"
    )
    args = parser.parse_args(argv)
    if args.quick:
        args.fields, args.sizes, args.cond_sizes, args.mm_steps = 100, [32, 64], [16, 32], 100
    if 1 in args.parts:
        score_against_moments(args)
    sizes = (set(args.sizes) if {2, 5} & set(args.parts) else set()) | (
        set(args.cond_sizes) if 3 in args.parts else set()
    )
    data = {L: phi4_fields(L, args.fields, 10 + L) for L in sorted(sizes)}
    if 2 in args.parts:
        fit_and_generate(args, {L: data[L] for L in args.sizes})
    if 3 in args.parts:
        conditioning(args, {L: data[L] for L in args.cond_sizes})
    if 5 in args.parts:
        generation_model(args, {L: data[L] for L in args.sizes})


if __name__ == "__main__":
    main()
