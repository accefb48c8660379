"""Operator tools: publish inputs, tail topics, replay rejections, run the local demo."""
