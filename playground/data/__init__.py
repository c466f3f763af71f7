"""Datasets: 2D toy sets and the feature maps over them."""
