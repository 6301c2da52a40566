"""How a message travels: the transactional outbox and its delivery by e-mail or webhook."""
