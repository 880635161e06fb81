"""Provider search by a Grok chat model with xAI's server-side web search tool.

The model is asked for local businesses with the phone numbers it found, as JSON. The route
then checks every number (E.164) and name as it does for providers a homeowner adds, so a
number the model made up that cannot be dialled is dropped, never called.
"""

from __future__ import annotations

from pydantic import BaseModel, Field
from xai_sdk.chat import system, user
from xai_sdk.tools import web_search

from api.intake.base import FoundProvider
from shared.models import Job
from shared.xai import XaiChat

SEARCH_PROMPT = """\
You find local home-service businesses for a homeowner. Search the web and list businesses \
that do this kind of work and serve the given zip code, each with its business name and the \
phone number published on its own website or business listing. Only list businesses whose \
phone number you actually found; never guess or invent a number. Respond with ONLY the JSON \
object.
"""


class _Listing(BaseModel):
    name: str = Field(description="The business name, as listed.", max_length=200)
    phone: str = Field(description="Its published phone number.", max_length=40)


class Listings(BaseModel):
    """The reply asked for."""

    providers: list[_Listing] = Field(description="Local businesses found.", max_length=20)


class GrokProviderSearch:
    """Finds providers with Grok and web search."""

    def __init__(self, chat: XaiChat, country: str = "US") -> None:
        self._chat = chat
        self._country = country

    async def search(self, job: Job, limit: int) -> list[FoundProvider]:
        """Up to `limit` businesses for the job's task near its zip code."""
        task = job.task or "handyman"
        request = (
            f"Find up to {limit} {task} businesses near zip code {job.zip_code}."
            f"\nThe job: {job.problem}"
        )
        reply = await self._chat.ask(
            Listings,
            [system(SEARCH_PROMPT), user(request)],
            tools=[web_search(user_location_country=self._country)],
        )
        return [FoundProvider(item.name, item.phone) for item in reply.providers[: limit * 2]]
