"""K dense networks of one shape, whose numbers do not depend on K.

A run trained alone is this computation with K = 1 (fastpath.FastMLP), a
batch of runs the same with K > 1 (batched.BatchedRuns), and each run gets
the same bits either way. Three kinds of CPU kernel would break that:

- torch.bmm picks its kernel by shape and by batch size: below 400 products
  per matrix a plain loop per element (the same for any K), above it MKL's
  batched GEMM, whose small-matrix code sums in other orders for one matrix
  and for several; torch.mm/addmm take MKL's GEMM, whose results also depend
  on the data's alignment in memory. So a product stays on bmm's plain loop
  when it is below that size, and is otherwise a broadcast multiply and a sum
  over one dim, whose order depends only on the length summed.
- Some elementwise kernels (sigmoid, gelu, softplus, ...) round differently
  in their vectorised body and their scalar tail, so a value's bits would
  depend on where it sits in the tensor. Their inputs are written with a
  column stride of 2: TensorIterator then takes its scalar loop everywhere.
- Plain arithmetic (the optimizers, the penalties) and tanh, relu, leaky
  ReLU round the same in both loops, so they need no such care.
"""

from __future__ import annotations

import torch

from playground.core.losses import HUBER_DELTA

aten = torch.ops.aten

# torch.bmm's own cut (aten/src/ATen/native/LinearAlgebra.cpp): a product
# of fewer rows * inner * cols than this per matrix runs its plain loop.
PLAIN_LOOP = 400
# Products per chunk of rows for the broadcast multiply: bounds its
# (K, rows, out, in) temporary. It depends on the layer, never on K.
CHUNK = 1 << 16
# Activations whose vectorised and scalar loops round alike.
LOOP_SAFE = frozenset({"linear", "relu", "tanh", "leaky_relu"})


def strided(k: int, rows: int, cols: int, like: torch.Tensor) -> torch.Tensor:
    """An uninitialised (k, rows, cols) tensor with column stride 2."""
    return torch.empty(k, rows, 2 * cols, dtype=like.dtype, device=like.device)[..., ::2]


def loss_grad(head: str, z: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
    """d(mean loss)/dz of K batches: z (K, B, n_out), t (K, B, ...) as
    Head.targets gives it for each run."""
    b = z.shape[1]
    if head == "bce":
        return torch.sigmoid(z).sub_(t).div_(float(b))
    if head == "ce":
        g = torch.softmax(z, dim=2)
        idx = t.unsqueeze(2)  # (K, B, 1) class of each row
        g.scatter_(2, idx, g.gather(2, idx) - 1)
        return g.div_(float(b))
    if head == "tanh_mse":
        a = torch.tanh(z)
        return aten.tanh_backward((a - t).mul_(2 / b), a)
    if head == "huber":
        return (z - t).clamp_(-HUBER_DELTA, HUBER_DELTA).div_(float(b))
    return (z - t).mul_(2 / b)  # mse


class Stack:
    """Forward and gradients of K networks whose parameters are the rows of
    `param` (K, P), laid out as nn.Linear registers them (W0, b0, W1, ...);
    gradients go to the rows of `grad`. `acts` names the hidden activations,
    `forward_fns` / `backward_fns` are theirs (fastpath's tables), `head` is
    the loss's name."""

    def __init__(self, param: torch.Tensor, grad: torch.Tensor, shapes: list, acts: list,
                 forward_fns: list, backward_fns: list, head: str) -> None:
        self.k, self.param, self.grad = param.shape[0], param, grad
        self.ws, bs = self.split(param, shapes)  # (K, out, in), (K, out)
        self.gws, self.gbs = self.split(grad, shapes)
        self.wts = [w.transpose(1, 2) for w in self.ws]  # (K, in, out)
        self.w4 = [w.unsqueeze(1) for w in self.ws]  # (K, 1, out, in)
        self.b3 = [b.unsqueeze(1) for b in bs]  # (K, 1, out)
        self.size = [s.numel() for s in shapes[0::2]]  # out * in of each layer
        self.chunk = [max(1, CHUNK // size) for size in self.size]
        self.forward_fns, self.backward_fns, self.head = forward_fns, backward_fns, head
        # Which pre-activations feed a kernel whose loops round apart.
        self.spread = [a not in LOOP_SAFE for a in acts] + [head == "bce"]
        # 1 on weights, 0 on biases: the penalties apply to weights only.
        self.mask = torch.cat([torch.full((s.numel(),), float(len(s) == 2)) for s in shapes]
                              ).to(param)
        self.l1 = self.l2 = None  # (K, P) per-run penalty rates on weights, or None
        self.plans: dict[int, list[tuple]] = {}

    @staticmethod
    def split(flat: torch.Tensor, shapes: list) -> tuple[list, list]:
        """Weight (K, out, in) and bias (K, out) views of the rows of `flat`."""
        views, offset = [], 0
        for shape in shapes:
            size = shape.numel()
            views.append(flat[:, offset : offset + size].view(flat.shape[0], *shape))
            offset += size
        return views[0::2], views[1::2]

    def penalties(self, l1: list[float], l2: list[float]) -> None:
        """Each run's L1 rate and L2 rate (0: none). d/dW of rate * sum W^2 is
        2 * rate * W, of rate * sum |W| rate * sign(W)."""
        col = {"dtype": self.param.dtype, "device": self.param.device}
        self.l1 = self.l2 = None
        if any(l2):
            self.l2 = torch.tensor([2 * r for r in l2], **col).unsqueeze(1) * self.mask
        if any(l1):
            self.l1 = torch.tensor(l1, **col).unsqueeze(1) * self.mask

    # ---- the three products of a layer, K-invariant -------------------------
    def linear(self, i: int, a: torch.Tensor, z: torch.Tensor) -> torch.Tensor:
        """z (K, N, out) = a (K, N, in) W_i^T + b_i."""
        n = a.shape[1]
        if n * self.size[i] < PLAIN_LOOP:
            return torch.baddbmm(self.b3[i], a, self.wts[i], out=z)
        for s in range(0, n, self.chunk[i]):
            part = slice(s, s + self.chunk[i])
            torch.sum(a[:, part].unsqueeze(2) * self.w4[i], 3, out=z[:, part])
        return z.add_(self.b3[i])

    def input_grad(self, i: int, dz: torch.Tensor, out: torch.Tensor) -> torch.Tensor:
        """out (K, B, in) = dz (K, B, out) W_i."""
        n = dz.shape[1]
        if n * self.size[i] < PLAIN_LOOP:
            return torch.bmm(dz, self.ws[i], out=out)
        for s in range(0, n, self.chunk[i]):
            part = slice(s, s + self.chunk[i])
            torch.sum(dz[:, part].unsqueeze(3) * self.w4[i], 2, out=out[:, part])
        return out

    def weight_grad(self, i: int, dz: torch.Tensor, a: torch.Tensor) -> None:
        """dW_i (K, out, in) = dz (K, B, out)^T a (K, B, in), over the batch in
        chunks of rows summed in order."""
        n, out, step = dz.shape[1], self.gws[i], self.chunk[i]
        if n * self.size[i] < PLAIN_LOOP:
            torch.bmm(dz.transpose(1, 2), a, out=out)
            return
        torch.sum(dz[:, :step].unsqueeze(3) * a[:, :step].unsqueeze(2), 1, out=out)
        for s in range(step, n, step):
            out.add_((dz[:, s : s + step].unsqueeze(3) * a[:, s : s + step].unsqueeze(2)).sum(1))

    # ---- passes ------------------------------------------------------------
    def new(self, i: int, rows: int) -> torch.Tensor:
        """An uninitialised (K, rows, out_i) pre-activation tensor."""
        cols = self.ws[i].shape[1]
        if self.spread[i]:
            return strided(self.k, rows, cols, self.param)
        return self.param.new_empty(self.k, rows, cols)

    def plan(self, n: int) -> list[tuple]:
        """Per layer, for batches of n rows: (plain loop?, pre-activation
        buffer (K, n, out), input-gradient buffer (K, n, in)), kept between
        steps so that a step allocates little."""
        found = self.plans.get(n)
        if found is None:
            if len(self.plans) > 16:  # batch sizes come and go (points added)
                self.plans.clear()
            found = self.plans[n] = [
                (n * size < PLAIN_LOOP, self.new(i, n),
                 self.param.new_empty(self.k, n, self.ws[i].shape[2]))
                for i, size in enumerate(self.size)]
        return found

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Raw outputs (K, N, n_out) for inputs x (K, N, F)."""
        last = len(self.ws) - 1
        for i in range(last + 1):
            z = self.linear(i, x, self.new(i, x.shape[1]))
            if i < last:
                x = self.forward_fns[i](z)
        return z

    def gradients(self, x: torch.Tensor, t: torch.Tensor) -> None:
        """Fills the gradient rows for batches x (K, B, F) and targets t:
        the mean loss of each run's batch, plus its penalty. (The three
        methods above, inlined for an unchunked batch: a step of a tiny
        network costs what its Python costs.)"""
        n = x.shape[1]
        plan, last = self.plan(n), len(self.ws) - 1
        inputs, rows, zs = [], [], []  # per layer: input (K, B, in) and its (K, B, 1, in) view
        a = x
        for i, (plain, z, _) in enumerate(plan):
            inputs.append(a)
            if plain:
                torch.baddbmm(self.b3[i], a, self.wts[i], out=z)
                rows.append(None)
            elif n <= self.chunk[i]:
                row = a.unsqueeze(2)
                rows.append(row)
                torch.sum(row * self.w4[i], 3, out=z).add_(self.b3[i])
            else:
                rows.append(None)
                self.linear(i, a, z)
            zs.append(z)
            if i < last:
                a = self.forward_fns[i](z)
        dz = loss_grad(self.head, z, t)  # (K, B, n_out)
        for i in range(last, -1, -1):
            plain, _, da = plan[i]
            if plain:
                torch.bmm(dz.transpose(1, 2), inputs[i], out=self.gws[i])
                torch.sum(dz, 1, out=self.gbs[i])
                if i > 0:
                    torch.bmm(dz, self.ws[i], out=da)
            elif rows[i] is not None:
                col = dz.unsqueeze(3)  # (K, B, out, 1)
                torch.sum(col * rows[i], 1, out=self.gws[i])
                torch.sum(dz, 1, out=self.gbs[i])
                if i > 0:
                    torch.sum(col * self.w4[i], 2, out=da)
            else:
                self.weight_grad(i, dz, inputs[i])
                torch.sum(dz, 1, out=self.gbs[i])
                if i > 0:
                    self.input_grad(i, dz, da)
            if i > 0:
                dz = self.backward_fns[i - 1](da, zs[i - 1], inputs[i])
        if self.l2 is not None:
            self.grad.addcmul_(self.param, self.l2)
        if self.l1 is not None:
            self.grad.addcmul_(self.param.sign(), self.l1)
