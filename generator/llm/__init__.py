"""Talking to the model: the client, the call loop with retries and limits, the call memo, costs."""
