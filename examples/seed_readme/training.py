# The seed README's "Neural Network Training Example", verbatim.
from minitorch.nn import MLP

# Create a 3-layer neural network
# Input: 3 features, Hidden layers: 4 neurons each, Output: 1 neuron
model = MLP(3, [4, 4, 1])

# Training data
input_data = [
    [0.5, 0.5, 0.5],
    [0.5, 0.5, 1.0],
    [1.0, 0.5, 0.5],
    [1.0, 1.0, 1.0],
]
desired_targets = [-1.0, 1.0, -1.0, 1.0]

# Training loop
lr = 0.01  # learning rate
for iteration in range(100):
    # Zero gradients
    for p in model.parameters():
        p.grad = 0
    
    # Forward pass
    predictions = [model(x) for x in input_data]
    
    # Calculate loss (MSE)
    loss = sum((pred - target) ** 2 for pred, target in zip(predictions, desired_targets))
    
    # Backward pass
    loss.backward()
    
    # Update weights (gradient descent)
    for p in model.parameters():
        p.data -= lr * p.grad
    
    print(f"Iteration {iteration}: Loss = {loss.data:.6f}")
