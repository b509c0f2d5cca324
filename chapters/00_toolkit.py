# ---
# jupyter:
#   jupytext:
#     text_representation:
#       extension: .py
#       format_name: percent
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # The toolkit: neurons, surrogate gradients and spike codes
#
# Every chapter of this book imports `snnlib`, a small library with unit tests. This chapter
# re-derives its equations and draws each mechanism from the library itself, so that the figures
# here are exactly what the paper chapters use. Conventions:
#
# * sequences are **time-major**, `[T, batch, ...]`, one entry per simulation step;
# * every model is a pure function `step(input, state, params) -> (output, new_state)` with an
#   explicit state, in the style of Norse {cite}`pehle2021norse`; `nn.Module` classes are thin
#   wrappers around these functions;
# * randomness enters only through an explicit `torch.Generator`.
#
# Each equation names the paper equation it comes from and the `snnlib` function that implements it.

# %% tags=["parameters"]
profile = "quick"  # "quick" or "full"; this chapter trains nothing, both profiles draw the same

# %%
import matplotlib.pyplot as plt
import numpy as np
import torch

from IPython.display import Markdown, display

from snnlib.book.data import load_mnist
from snnlib.book.provenance import figure_provenance
from snnlib.book.runner import check_parameters
from snnlib.core import coding, metrics, neurons, surrogate

check_parameters(profile)

torch.set_num_threads(2)
plt.rcParams.update({"figure.dpi": 110, "axes.spines.top": False, "axes.spines.right": False})

# %% [markdown]
# ## Integrate-and-fire and leaky integrate-and-fire neurons
#
# The house neuron is the leaky integrate-and-fire neuron {cite}`gerstner2014neuronal` in the
# discrete form of snnTorch's `Leaky` {cite}`eshraghian2023training`, the neuron paper 000
# {cite}`agliukov2023spiking` trains. With membrane potential $U_t$, input current $I_t$, decay
# factor $\beta\in[0,1]$ and threshold $U_{thr}$, a neuron that fired at step $t-1$ is reset at
# step $t$ (the reset flag $R_t$ is computed from the *previous* membrane):
#
# $$
# R_t = H(U_{t-1} - U_{thr}), \qquad
# U_t = \beta U_{t-1} + I_t - R_t\, U_{thr}
# $$ (eq-lif-subtract)
#
# for the *subtract* reset (paper 000, Sec. 2, with $R$ its reset term), or, for the *zero* reset,
#
# $$
# U_t = \beta (1 - R_t)\, U_{t-1} + I_t ,
# $$ (eq-lif-zero)
#
# and the neuron emits
#
# $$
# S_t = H(U_t - U_{thr}),
# $$ (eq-spike)
#
# with $H$ the Heaviside step ($H(0)=0$). $\beta = 1$ gives the non-leaky integrate-and-fire (IF)
# neuron of papers 000 and 003. Implemented by `snnlib.core.neurons.lif_step` (one step) and
# `snnlib.core.neurons.lif_sequence` (a whole sequence, with a hand-written backward pass). This is
# snnTorch ≥ 0.8; snnTorch 0.6–0.7 scaled the subtracted reset by $\beta$, which makes no difference
# for the IF neurons of paper 000.
#
# Below, one neuron with $U_{thr} = 1$ receives a constant current $I = 0.3$.

# %%
def lif_trace(current, params, steps):
    """Membrane potential and spikes of one neuron driven by a constant current."""
    state = neurons.lif_init_state((1,))
    mem, spikes = [], []
    for _ in range(steps):
        s, state = neurons.lif_step(torch.full((1,), current), state, params)
        mem.append(state.mem.item())
        spikes.append(s.item())
    return np.array(mem), np.array(spikes)


traces = {
    "IF, subtract reset": neurons.if_params(threshold=1.0),
    "LIF β=0.9, subtract reset": neurons.LIFParams(beta=0.9, threshold=1.0),
    "LIF β=0.9, zero reset": neurons.LIFParams(beta=0.9, threshold=1.0, reset_mechanism="zero"),
}
lif_results = {name: lif_trace(0.3, p, 30) for name, p in traces.items()}

# %%
for name, (mem, spk) in lif_results.items():
    print(f"{name:28s} spikes at steps {np.flatnonzero(spk).tolist()}")

# %% [markdown]
# The IF neuron reaches $U = 1.2 > 1$ at step 3 (0.3 × 4, counting from step 0) and fires; from then
# on the subtract reset keeps the remainder, so it fires every 3 or 4 steps. With $\beta = 0.9$ the
# leak slows charging: the fixed point of $U = 0.9\,U + 0.3$ is $3 > U_{thr}$, so the neuron still
# fires, but later.

# %% tags=["remove-input"] mystnb={"figure": {"caption": "Membrane potential (lines) and spikes (markers) of IF and LIF neurons with a constant input current 0.3 and threshold 1, Eqs. {eq}`eq-lif-subtract`–{eq}`eq-spike`, drawn with `snnlib.core.neurons.lif_step`.", "name": "fig-lif-traces"}}
fig, axes = plt.subplots(1, 3, figsize=(10, 2.6), sharey=True)
for ax, (name, (mem, spk)) in zip(axes, lif_results.items()):
    ax.plot(mem, lw=1.5)
    ax.axhline(1.0, color="grey", ls="--", lw=0.8)
    ax.plot(np.flatnonzero(spk), np.full(int(spk.sum()), 1.35), "v", color="C3", ms=5)
    ax.set_title(name, fontsize=9)
    ax.set_xlabel("time step")
axes[0].set_ylabel("membrane $U_t$")
fig.tight_layout()

# %% tags=["remove-input"]
display(Markdown(figure_provenance(None, drawn_by="snnlib.core.neurons.lif_step")))

# %% [markdown]
# A refractory period (`refractory` in `LIFParams`) makes the neuron ignore its input for
# $\tau_{ref}$ steps after each spike, which caps its rate at $1/(\tau_{ref}+1)$ spikes per step;
# with $\tau_{ref}$ as long as the simulation each neuron fires at most once, the
# time-to-first-spike regime of the {doc}`Spiking-GAN chapter <003_spiking_gan>`, whose
# {numref}`fig-003-refractory` shows it.

# %% [markdown]
# ## Adaptive-threshold LIF
#
# Paper 002 {cite}`gafni2021competition` uses BindsNET's adaptive LIF neuron
# {cite}`hazan2018bindsnet` (paper Eqs. 1–3), the homeostatic neuron that
# {cite:t}`diehl2015unsupervised` introduced for unsupervised STDP learning, in continuous time
#
# $$
# \begin{aligned}
# \tau_v \frac{dv}{dt} &= -(v - v_{rest}) + R I(t), \qquad v_{th}(t) = \theta_0 + \theta(t),\\
# \tau_\theta \frac{d\theta}{dt} &= -\theta, \qquad \theta \leftarrow \theta + \theta_+ \text{ at each spike},
# \end{aligned}
# $$ (eq-alif)
#
# with the voltage held at $v_{reset}$ for $t_{ref}$ after a spike. The threshold rises with every
# spike and decays very slowly ($\tau_\theta = 10^6$ ms), so a neuron that fires a lot becomes harder to
# excite: a homeostasis that spreads the learning over neurons. The discrete update, with
# $\Delta t = 1$ ms, follows BindsNET's order exactly (decay, integrate unless refractory, threshold,
# reset, adapt) and is `snnlib.core.neurons.adaptive_lif_step`; paper 002's values are its defaults
# ($v_{rest} = v_{reset} = -65$ mV, $\theta_0 = -52$ mV, $\tau_v = 20$ ms, $t_{ref} = 2$ ms,
# $\theta_+ = 0.05$ mV). Below, one neuron receives Poisson input spikes through a synapse of
# weight 6 mV, as in paper 002's Fig. 3.

# %%
gen = torch.Generator().manual_seed(0)
alif = neurons.AdaptiveLIFParams()
input_spikes = coding.poisson_encode(torch.tensor([150.0]), duration_ms=300, generator=gen)
state = neurons.adaptive_lif_init_state((1,), (1,), alif)
v_trace, thr_trace, out = [], [], []
for s_in in input_spikes.float():
    s, state = neurons.adaptive_lif_step(6.0 * s_in.view(1, 1), state, alif, learning=True)
    v_trace.append(state.v.item())
    thr_trace.append(alif.thresh + state.theta.item())
    out.append(s.item())
v_trace, thr_trace, out = map(np.array, (v_trace, thr_trace, out))

# %%
print(f"input spikes: {int(input_spikes.sum())}, output spikes: {int(out.sum())}, "
      f"final threshold: {thr_trace[-1]:.2f} mV (start {alif.thresh:.2f} mV)")

# %% tags=["remove-input"] mystnb={"figure": {"caption": "Adaptive-threshold LIF neuron (Eq. {eq}`eq-alif`, `snnlib.core.neurons.adaptive_lif_step`) driven by 150 Hz Poisson input through a 6 mV synapse: the membrane voltage (blue) and the threshold $\\theta_0+\\theta$ (orange), which rises by $\\theta_+$ at each output spike. After paper 002, Fig. 3.", "name": "fig-alif"}}
fig, ax = plt.subplots(figsize=(10, 2.8))
ax.plot(v_trace, lw=1, label="membrane $v$")
ax.plot(thr_trace, lw=1.5, label="threshold $\\theta_0+\\theta$")
ax.plot(np.flatnonzero(out), np.full(int(out.sum()), thr_trace.max() + 1.5), "v", color="C3",
        ms=4, label="output spikes")
ax.set_xlabel("time (ms)")
ax.set_ylabel("mV")
ax.legend(fontsize=8, frameon=False, ncol=3, loc="lower left", bbox_to_anchor=(0, 1.0))
fig.tight_layout()

# %% tags=["remove-input"]
display(Markdown(figure_provenance(None, drawn_by="snnlib.core.neurons.adaptive_lif_step")))

# %% [markdown]
# ## Stochastic threshold
#
# The readout neurons of paper 001 {cite}`skatchkovsky2021learning` are spike-response-model neurons
# with a *stochastic* threshold: given the membrane potential $u$, they spike with probability
#
# $$
# p(s = 1 \mid u) = \sigma(u) = \frac{1}{1 + e^{-u}},
# \qquad \frac{\partial}{\partial u}\log p(s \mid u) = s - \sigma(u),
# $$ (eq-stochastic-threshold)
#
# the second identity being the local learning signal that the paper's rule uses
# (`snnlib.core.neurons.stochastic_threshold_spike`, which returns the spikes and $\log p$).

# %%
u = torch.tensor([-2.0, 0.0, 2.0]).repeat(20000, 1)
s, log_p = neurons.stochastic_threshold_spike(u, generator=torch.Generator().manual_seed(1))
print("empirical rate:", np.round(s.mean(0).numpy(), 2), " σ(u):", np.round(torch.sigmoid(u[0]).numpy(), 2))

# %% [markdown]
# ## Surrogate gradients
#
# The spike of Eq. {eq}`eq-spike` has zero derivative almost everywhere, so gradient training
# replaces its derivative in the backward pass by that of a smooth *primitive* $\tilde S(x)$ of the
# overdrive $x = U - U_{thr}$ {cite}`neftci2019surrogate,zenke2018superspike`. The forward pass
# stays the exact Heaviside step. `snnlib.core.surrogate` follows SpikingJelly's design
# {cite}`fang2023spikingjelly`: each surrogate holds the primitive, and its hand-written derivative
# is tested against automatic differentiation of the primitive. Paper 000 uses the fast sigmoid,
#
# $$
# \tilde S(x) = \frac{x}{1 + k|x|},\qquad \frac{\partial \tilde S}{\partial x} = \frac{1}{(1 + k|x|)^2},\quad k = 25
# $$ (eq-fast-sigmoid)
#
# (paper 000, Sec. 2; `snnlib.core.surrogate.fast_sigmoid`). The others in `snnlib`:
#
# $$
# \begin{aligned}
# &\text{rectangular: } \frac{1}{a}\,\mathbb 1\!\left[|x| < \tfrac a2\right], \qquad
# \text{arctangent: } \frac{\alpha/2}{1 + (\frac{\pi}{2}\alpha x)^2},\\
# &\text{sigmoid: } k\,\sigma(kx)\,(1 - \sigma(kx))
# \end{aligned}
# $$ (eq-surrogates)
#
# (`rectangular`, `atan`, `sigmoid`).

# %%
x = torch.linspace(-1, 1, 401, requires_grad=True)
surrogates = {
    "fast sigmoid, k=25": surrogate.fast_sigmoid(25.0),
    "rectangular, a=1": surrogate.rectangular(1.0),
    "arctangent, α=2": surrogate.atan(2.0),
    "sigmoid, k=4": surrogate.sigmoid(4.0),
}
grads = {}
for name, fn in surrogates.items():
    (g,) = torch.autograd.grad(fn(x).sum(), x)
    grads[name] = g.numpy()

# %%
for name, g in grads.items():
    print(f"{name:20s} derivative at x=0: {g[200]:.3f}, area under it: {np.trapezoid(g, x.detach().numpy()):.3f}")

# %% tags=["remove-input"] mystnb={"figure": {"caption": "Surrogate derivatives $\\partial \\tilde S / \\partial x$ of Eqs. {eq}`eq-fast-sigmoid` and {eq}`eq-surrogates`, obtained by back-propagating through `snnlib.core.surrogate` spike functions; the forward pass of each is the Heaviside step (grey).", "name": "fig-surrogates"}}
fig, ax = plt.subplots(figsize=(7, 3))
xs = x.detach().numpy()
for name, g in grads.items():
    ax.plot(xs, g, label=name)
ax.plot(xs, (xs > 0).astype(float), color="grey", lw=1, ls="--", label="Heaviside (forward)")
ax.set_xlabel("overdrive $x = U - U_{thr}$")
ax.set_ylabel("surrogate derivative")
ax.set_ylim(0, 1.15)
ax.legend(fontsize=8, frameon=False)
fig.tight_layout()

# %% tags=["remove-input"]
display(Markdown(figure_provenance(None, drawn_by="snnlib.core.surrogate")))

# %% [markdown]
# ## Spike codes of a real MNIST digit
#
# The papers turn pixel intensities into spikes in four ways, all in `snnlib.core.coding`.
#
# The **Bernoulli rate code** of paper 000 (snnTorch `spikegen.rate`, `rate_encode`): at every step
# pixel $i$ spikes with probability equal to its intensity $x_i\in[0,1]$,
#
# $$
# P(S_i[t] = 1) = x_i .
# $$ (eq-rate-code)
#
# The **Poisson code in Hz** of paper 002 (BindsNET, `poisson_encode`): pixel $i$ fires at a mean
# rate of $127.5\,x_i$ Hz for 250 ms, with inter-spike intervals drawn from a Poisson distribution.
#
# The **time-to-first-spike (TTFS) code** of paper 003 and S4NN {cite}`kheradpisheh2020s4nn`
# (`ttfs_encode`, `ttfs_decode`): each pixel $x_i \in \{0,\dots,255\}$ spikes once, brighter
# pixels earlier,
#
# $$
# t_i = \left\lfloor t_{max}\,\frac{x_{max} - x_i}{x_{max}} \right\rfloor,\qquad
# \hat x_i = x_{max}\left(1 - \frac{t_i}{t_{max}}\right),
# $$ (eq-ttfs)
#
# with $t_{max} = 256$ and $x_{max} = 255$; black pixels land on $t_{max}$, outside the window.
# This form is RECONSTRUCTED from the S4NN code: the Spiking-GAN text we have lost its equations.
#
# The **latency code** of snnTorch (`spikegen.latency`, `latency_encode`): the time an RC circuit
# driven by $x_i$ takes to charge to a threshold $\theta$, $t_i = \tau \ln\frac{x_i}{x_i - \theta}$,
# or linearly $t_i = \tau (1 - x_i)$, rounded to a step.

# %%
images, labels = load_mnist("test")
digit = images[0]  # the first test image, a 7
x01 = digit.float().flatten() / 255.0
gen = torch.Generator().manual_seed(0)
codes = {
    "Bernoulli rate (T=30)": coding.rate_encode(x01, 30, generator=gen),
    "Poisson 127.5 Hz (250 ms)": coding.poisson_encode(127.5 * x01, duration_ms=250, generator=gen),
    "TTFS (t_max=256)": coding.times_to_spikes(coding.ttfs_encode(digit.flatten()), 256),
    "linear latency (T=30)": coding.latency_encode(x01, 30, linear=True, normalize=True, clip=True),
}
ttfs_times = coding.ttfs_encode(digit.flatten())
reconstruction = coding.ttfs_decode(ttfs_times).view(28, 28)

# %%
print(f"label {labels[0].item()}, {int((digit > 0).sum())} non-black pixels")
for name, spikes in codes.items():
    print(f"{name:27s} {int(spikes.sum()):5d} spikes, {spikes.shape[0]} steps")
err = (reconstruction - digit.float()).abs().max().item()
print(f"TTFS decode: max |x̂ - x| = {err:.3f} (bound x_max/t_max = {255 / 256:.3f})")

# %% [markdown]
# The TTFS code spends one spike per non-black pixel, the rate codes tens to hundreds; that ratio is
# the sparsity argument of paper 003. The decoder of Eq. {eq}`eq-ttfs` recovers the image to within
# one grey level.

# %% tags=["remove-input"] mystnb={"figure": {"caption": "The first MNIST test digit under the four spike codes of `snnlib.core.coding` (Eqs. {eq}`eq-rate-code` and {eq}`eq-ttfs`): spike rasters, one row per pixel (only pixels that fire are drawn), and the image decoded from the TTFS times.", "name": "fig-codes"}}
fig, axes = plt.subplots(1, 5, figsize=(12, 3.2), gridspec_kw={"width_ratios": [1, 1, 1, 1, 0.9]})
for ax, (name, spikes) in zip(axes, codes.items()):
    t, i = np.nonzero(spikes.numpy())
    ax.scatter(t, i, s=1.5, color="k", marker="s", linewidths=0)
    ax.set_title(name, fontsize=8)
    ax.set_xlabel("time step")
    ax.set_ylim(784, 0)
axes[0].set_ylabel("pixel")
axes[4].imshow(reconstruction, cmap="gray")
axes[4].set_title("decoded from TTFS", fontsize=8)
axes[4].axis("off")
fig.tight_layout()

# %% tags=["remove-input"]
display(Markdown(figure_provenance(None, drawn_by="snnlib.core.coding")))

# %% [markdown]
# ## Decoders and counters
#
# Readouts go the other way: `coding.spike_count` and `coding.spike_rate` sum or average over
# time, `coding.first_spike_time` gives each neuron's first spike (TTFS decoding), and
# `coding.decode_ttfs_class` picks the first output neuron to fire, with explicit rules for ties and
# for silent outputs — the S4NN code scores both generously, which its issues #4 and #5 dispute, so
# every chapter states its rule. `snnlib.core.metrics` counts what the papers report: spikes per sample
# across layers (`count_spikes`), the step of the first output spike (`decision_time`), the spikes
# emitted until then (`spikes_until`) and the fraction of neurons that fire (`firing_fraction`).
# For the TTFS code of the digit above:

# %%
ttfs = codes["TTFS (t_max=256)"].unsqueeze(1)  # [T, batch=1, 784]
first = coding.first_spike_time(ttfs)
print("spikes per sample:", metrics.count_spikes(ttfs).tolist())
print("first input spike at step:", metrics.decision_time(ttfs).tolist(),
      "(the brightest pixel, value", int(digit.max()), ")")
print("spikes up to step 128:", metrics.spikes_until(ttfs, 128).tolist())
print("fraction of inputs that fire:", round(metrics.firing_fraction(ttfs).item(), 3))

# %% [markdown]
# ## Experiments, artifacts and claims
#
# Chapters run their experiments through `snnlib.book.runner.RunContext`: one context per chapter
# run holds the profile (`quick` for the tests, `full` for the paper's settings), the seed and which
# experiments may train, and its one entry point `experiment(name, settings, protocol)` either reads
# back a finished artifact with the same settings or runs the protocol, a tested function of the
# paper's package in `snnlib.papers`, with a progress bar and checkpoints that resume after a kill.
# Artifacts are written atomically with their provenance (config, seed, git commit, package
# versions, wall time, and a fingerprint of the library code that computed them). The book is
# rendered from the committed full-profile artifacts.
# Each paper chapter then records paper-versus-ours for its headline numbers with
# `snnlib.book.claims.write_claims`; the comparison tables, and the {doc}`reproduction page
# <reproduction>`, are generated from those records.
