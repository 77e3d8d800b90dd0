from fastapi import APIRouter

router = APIRouter(tags=["locations"])
