# The seed README's "Quick Start", verbatim.
from minitorch.engine import Tensor
from minitorch.nn import MLP

# Basic autograd
x = Tensor(2.0)
y = (x ** 2).relu()
y.backward()
print(f"dy/dx = {x.grad}")  # 4.0

# Train a neural network
model = MLP(3, [4, 4, 1])
# ... (see examples below for full training loop)
