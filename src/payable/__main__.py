from payable.cli import app

app()
