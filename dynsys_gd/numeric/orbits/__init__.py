"""The orbits floor: periodic orbits of the GD map and Lyapunov exponents."""
