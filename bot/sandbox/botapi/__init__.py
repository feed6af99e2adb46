"""The Bot API emulator's parts, lowest first.

errors, state and spec are leaves (the data model and the method tables); faults, limits and
validation are self-contained mechanisms; base holds the shared state, and each layer above it
adds one seam: messages (JSON views and the one message builder), updates (the queue and
getUpdates), actions (what people do), webhook, methods and chats (the Bot API methods), http
(the server). core.EmulatorCore is all of them; bot.sandbox.emulator adds the test drivers.
"""
