# The seed README's "Advanced Operations", verbatim.
from minitorch.engine import Tensor

# More complex computation graph
x = Tensor(2.0)
y = Tensor(3.0)

# Using multiple operations
z = (x ** 2 + y).relu()  # z = relu(4 + 3) = 7
w = z.exp() / (z + 1)    # w = exp(7) / 8

# Backpropagation
w.backward()

print(f"x.grad: {x.grad}")  # Gradient of w with respect to x
print(f"y.grad: {y.grad}")  # Gradient of w with respect to y
