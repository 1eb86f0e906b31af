# The seed README's "Basic Operations", verbatim.
from minitorch.engine import Tensor

# Create tensors
a = Tensor(4)
b = Tensor(3)
c = Tensor(2)

# Build computation graph
d = a + b  # d = 7
e = d * c  # e = 14

# Compute gradients
e.backward()

print(f"a.grad: {a.grad}")  # 2 (de/da = c)
print(f"b.grad: {b.grad}")  # 2 (de/db = c)
print(f"c.grad: {c.grad}")  # 7 (de/dc = d)
