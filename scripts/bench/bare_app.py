"""The baseline for the scan benchmark: a bare FastAPI JSON endpoint, served the same way."""

from fastapi import FastAPI

app = FastAPI()


@app.get("/bare")
async def bare() -> dict:
    return {"status": "ok", "verdict": "genuine"}
