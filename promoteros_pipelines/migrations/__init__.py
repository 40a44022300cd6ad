"""Alembic migrations for the ``promoteros`` schema (applied by ``promoteros db upgrade``)."""
