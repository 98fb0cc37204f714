"""Routes: consent (to be filled)."""

from fastapi import APIRouter

router = APIRouter()
