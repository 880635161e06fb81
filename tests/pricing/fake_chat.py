"""An in-process fake of xAI's gRPC `Chat` service, on a real loopback socket.

It speaks the real protocol (`xai_api.Chat/GetCompletion`, the SDK's own proto messages), the
way xai-sdk's own tests do, and plays a script: each request takes the next step — a reply
(after an optional delay) or a gRPC error. It records every request and its metadata, so tests
can check what the extractor actually sent.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

import grpc
from xai_sdk.proto import chat_pb2, chat_pb2_grpc, sample_pb2


@dataclass
class Reply:
    """Answer with `content` as the model's message, after `delay` seconds."""

    content: str
    delay: float = 0.0


@dataclass
class Fail:
    """Answer with a gRPC error."""

    code: grpc.StatusCode
    details: str = "fake failure"


@dataclass
class FakeChat(chat_pb2_grpc.ChatServicer):
    """The scripted servicer; `host` is set once the server listens."""

    script: list[Reply | Fail] = field(default_factory=list)
    requests: list[chat_pb2.GetCompletionsRequest] = field(default_factory=list)
    metadata: list[dict[str, str]] = field(default_factory=list)
    host: str = ""

    async def GetCompletion(  # the gRPC method's name, as the proto spells it
        self, request: chat_pb2.GetCompletionsRequest, context: grpc.aio.ServicerContext
    ) -> chat_pb2.GetChatCompletionResponse:
        self.requests.append(request)
        self.metadata.append({k: str(v) for k, v in context.invocation_metadata() or ()})
        step = self.script.pop(0) if self.script else Fail(grpc.StatusCode.INTERNAL, "no script")
        if isinstance(step, Fail):
            await context.abort(step.code, step.details)
        assert isinstance(step, Reply)
        if step.delay:
            await asyncio.sleep(step.delay)
        return chat_pb2.GetChatCompletionResponse(
            id="fake-completion",
            model=request.model,
            outputs=[
                chat_pb2.CompletionOutput(
                    index=0,
                    finish_reason=sample_pb2.FinishReason.REASON_STOP,
                    message=chat_pb2.CompletionMessage(
                        role=chat_pb2.MessageRole.ROLE_ASSISTANT, content=step.content
                    ),
                )
            ],
        )


@asynccontextmanager
async def running_fake_chat() -> AsyncIterator[FakeChat]:
    """A fake Chat server on 127.0.0.1 and a free port, for the length of the block."""
    servicer = FakeChat()
    server = grpc.aio.server()
    chat_pb2_grpc.add_ChatServicer_to_server(servicer, server)
    port = server.add_insecure_port("127.0.0.1:0")
    await server.start()
    servicer.host = f"127.0.0.1:{port}"
    try:
        yield servicer
    finally:
        await server.stop(grace=None)
