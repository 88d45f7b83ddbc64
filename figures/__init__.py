"""The figure library: images (charts, infographics) with alt text, caption and credit."""
